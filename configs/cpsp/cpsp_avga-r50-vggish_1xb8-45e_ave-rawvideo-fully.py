# CPSP, fully supervised, end to end from the AVE videos: MMAction2's
# ResNet-50 (2D, per frame, maps averaged per segment) + VGGish on log-mel.
# Short alias: configs/cpsp_fully_ave_rawvideo.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root          the AVE_Dataset folder
#   model.backbone.visual_checkpoint        ResNet-50 weights: an MMAction2
#                                           checkpoint (e.g. TSN R50) or a
#                                           bare state dict of the backbone
#   model.backbone.audio_backbone.pretrained  vggish-10086976.pth
#   load_from                               a whole mmcpsp checkpoint
#   frames: *_dataloader.dataset.pipeline.0.frames_per_segment / frame_size
# The recipe (optimiser, batch size, frames) is the feature recipe's, not
# tuned for end-to-end training: no result has been measured with it.
_base_ = [
    '../_base_/models/cpsp_avga.py', '../_base_/datasets/ave_rawvideo_fully.py',
    '../_base_/schedules/adam_45e_fully.py', '../_base_/default_runtime.py'
]
model = dict(
    # ImageNet normalisation, RGB: what MMAction2's TSN ResNet-50 expects.
    data_preprocessor=dict(
        _delete_=True,
        type='AVELVideoDataPreprocessor',
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        channel_order='rgb'),
    backbone=dict(
        _delete_=True,
        type='FrameAVGAEncoder',
        visual_backbone=dict(
            type='ResNet', depth=50, pretrained=None, norm_eval=True),
        visual_channels=2048,
        num_regions=49,  # 224 x 224 frames give 7 x 7 maps
        visual_kind='2d',
        audio_backbone=dict(type='VGGish', pretrained=None),
        audio_channels=128,
        visual_checkpoint=None))
# Pretrained backbones learn 10x slower than the CPSP layers.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={
        'backbone.visual_backbone': dict(lr_mult=0.1),
        'backbone.audio_backbone': dict(lr_mult=0.1)
    }))
auto_scale_lr = dict(enable=False, base_batch_size=8)
