# CPSP for audio-visual video parsing (PSP-MMIL): the recipe the release's
# run.sh means to run: PSP threshold 0.090, the segment contrastive term and
# the video-level VconInfoLoss (ratio 0.9, eta 0.2, lambda_v 1); 12 epochs.
# Dataset: LLP. Canonical config; the short alias is
# configs/cpsp_avvp_llp.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   model.head.loss_*.loss_weight   0 switches a loss term off (ablations)
#   test_evaluator.filter_by        'global' scores with HAN's convention
#   randomness.seed                 1 as released; or --seed
_base_ = [
    '../_base_/models/psp_mmil.py', '../_base_/datasets/llp.py',
    '../_base_/schedules/adam_12e_avvp.py', '../_base_/default_runtime.py'
]

# Validated every epoch; the best by segment-level Type@AV and the last are
# kept (the release tests its last epoch).
default_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=1, save_best='avvp/segment_type', rule='greater'))
# The releases seed with torch.manual_seed(1) before building the model.
randomness = dict(seed=1)
auto_scale_lr = dict(base_batch_size=16)
