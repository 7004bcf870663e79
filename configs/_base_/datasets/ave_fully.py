# AVE (Tian et al., ECCV 2018): 4,143 videos, 28 classes, 3,339/402/402.
dataset_type = 'AVEDataset'
data_root = 'data/ave'
# dtype of the features handed to the model ('float64' for a float64 model).
feature_dtype = 'float32'
# Each split is read once into memory and a batch is one index gather, in
# the training process: 'ram', 'cuda' (the GPU of each process), 'auto'
# (the GPU when there is one, else RAM) or None (read from disk per sample,
# then give the dataloaders workers). AVE takes 4.2 GB in float32 for its
# three splits, half with preload_dtype='float16'.
preload = 'ram'
preload_dtype = None

train_pipeline = [
    dict(type='LoadAVEFeatures', dtype=feature_dtype),
    dict(type='PackAVELInputs')
]
test_pipeline = train_pipeline

# No loader workers: a preloaded split needs none, and on a small machine
# they would compete with the model for the cores.
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        supervision='fully',
        preload=preload,
        preload_dtype=preload_dtype,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        supervision='fully',
        preload=preload,
        preload_dtype=preload_dtype,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        supervision='fully',
        preload=preload,
        preload_dtype=preload_dtype,
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AVELSegmentAccuracy')
test_evaluator = val_evaluator
