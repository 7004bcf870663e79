# CPSP, fully supervised, on features of other extractors stored one .npy
# per video: CNN14 (PANNs) audio [t, 2048] and CLIP visual [t, 768] (one
# vector per segment, a 1 x 1 map), t padded (last segment repeated) or
# truncated to 10. Layout: DATA/audio/<id>.npy, DATA/visual/<id>.npy and
# DATA/annotations.csv (video_id,category,split,start,end), see
# tools/data/README.md.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root   the folder
#   model.backbone.audio_channels / visual_channels / num_regions
#                                    the extractors' sizes
#   model.head.num_classes           the number of categories
_base_ = [
    '../_base_/models/cpsp_avga.py', '../_base_/schedules/adam_45e_fully.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(audio_channels=2048, visual_channels=768, num_regions=1))

data_root = 'data/npy_features'
pipeline = [dict(type='LoadNpyFeatures'), dict(type='PackAVELInputs')]
_dataset = dict(
    type='NpyFeatureDataset',
    data_root=data_root,
    ann_file='annotations.csv',
    supervision='fully',
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(split='train', **_dataset))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(split='val', test_mode=True, **_dataset))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(split='test', test_mode=True, **_dataset))
val_evaluator = dict(type='AVELSegmentAccuracy')
test_evaluator = val_evaluator
