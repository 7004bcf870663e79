default_scope = 'mmcpsp'
custom_imports = dict(imports=['mmcpsp'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Written atomically; keeps the best validation checkpoint.
    checkpoint=dict(
        type='SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='avel/segment_acc',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
    # Stops at the first NaN or infinite loss, before it is checkpointed;
    # off: --cfg-options default_hooks.non_finite_loss.enabled=False
    non_finite_loss=dict(type='NonFiniteLossHook'),
    # Timeline figures of val/test videos; tools/test.py --show-dir DIR
    # enables it for every test video.
    visualization=dict(type='AVELVisualizationHook', enable=False))
# Reseeds every epoch, so a resumed run repeats an uninterrupted one.
custom_hooks = [dict(type='EpochSeedHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # Without CUDA, mmcpsp initialises gloo instead (mmcpsp/compat.py). A
    # rank waiting in a collective for a peer that hangs fails after
    # `timeout` seconds (a peer that dies ends the job at once).
    dist_cfg=dict(backend='nccl', timeout=1800))
# DDP that also wraps CPU modules (mmcpsp/compat.py).
model_wrapper_cfg = dict(
    type='CPUCompatibleDDP',
    broadcast_buffers=False,
    find_unused_parameters=False)

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend')
]
visualizer = dict(type='AVELVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
# Checkpoints load with torch.load(weights_only=True) and the types of
# runner checkpoints only; True (or --trust-checkpoint) loads any pickle,
# which may run code: only for files you trust.
trust_checkpoint = False

randomness = dict(seed=123, diff_rank_seed=False, deterministic=False)
# Published batch size: 64 videos on one GPU.
auto_scale_lr = dict(enable=False, base_batch_size=64)
