# VGGSound-AVEL100k (Zhou et al., TPAMI 2023): 101,072 videos, 141 classes,
# 60,640 / 20,216 / 20,216. Reads the per-video zips as distributed, or the
# HDF5 files of tools/data/vggsound_avel/convert_to_hdf5.py when present.
dataset_type = 'VGGSoundAVELDataset'
data_root = 'data/vggsound_avel100k'
# dtype of the features handed to the model ('float64' for a float64 model).
feature_dtype = 'float32'
# Too large to hold in memory (about 200 GB of visual maps in float32): the
# features stream from disk through DataLoader workers, and a batch leaves a
# worker as a few stacked tensors (avel_collate). pin_memory speeds up the
# copy to a GPU and is ignored without one. A small subset can be preloaded
# like AVE: dataset=dict(preload='ram') and num_workers=0.
collate = dict(type='avel_collate')

train_pipeline = [
    dict(type='LoadVGGSoundAVELFeatures', dtype=feature_dtype),
    dict(type='PackAVELInputs')
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=collate,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        supervision='fully',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=collate,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        supervision='fully',
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=collate,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        supervision='fully',
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AVELSegmentAccuracy')
test_evaluator = val_evaluator
