# CPSP, fully supervised, end to end from the AVE videos: MMAction2's X3D-S
# (3D, one clip per one-second segment, maps averaged over time) +
# MMAction2's ResNetAudio on each segment's log-mel example.
# Short alias: configs/cpsp_fully_ave_rawvideo_x3d.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root    the AVE_Dataset folder
#   model.backbone.visual_checkpoint  X3D weights (an MMAction2 checkpoint or
#                                     a bare state dict of the backbone)
#   model.backbone.audio_checkpoint   ResNetAudio weights, likewise
#   load_from                         a whole mmcpsp checkpoint
# The recipe is the feature recipe's, not tuned for end-to-end training: no
# result has been measured with it.
_base_ = ['./cpsp_avga-r50-vggish_1xb8-45e_ave-rawvideo-fully.py']
frames_per_segment = 8
frame_size = (160, 160)  # X3D-S's input size: 5 x 5 maps
_pipeline = [
    dict(type='DecodeAVSegments', num_segments=10,
         frames_per_segment=frames_per_segment, frame_size=frame_size),
    dict(type='StackSegmentFrames'),
    dict(type='VGGishLogMel'),
    dict(type='PackAVELInputs')
]
train_dataloader = dict(dataset=dict(pipeline=_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_pipeline))
test_dataloader = dict(dataset=dict(pipeline=_pipeline))
model = dict(
    backbone=dict(
        _delete_=True,
        type='FrameAVGAEncoder',
        visual_backbone=dict(
            type='X3D', gamma_w=1, gamma_b=2.25, gamma_d=2.2,
            norm_eval=True),
        visual_channels=432,
        num_regions=25,
        visual_kind='3d',
        audio_backbone=dict(type='ResNetAudio', depth=50, pretrained=None),
        audio_channels=1024,
        visual_checkpoint=None,
        audio_checkpoint=None))
