# AVE (Tian et al., ECCV 2018): 4,143 videos, 28 classes, 3,339/402/402.
dataset_type = 'AVEDataset'
data_root = 'data/ave'
# dtype of the features handed to the model ('float64' for a float64 model).
feature_dtype = 'float32'

train_pipeline = [
    dict(type='LoadAVEFeatures', dtype=feature_dtype),
    dict(type='PackAVELInputs')
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # Batches travel from the workers as a few stacked tensors.
    collate_fn=dict(type='avel_collate'),
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
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='avel_collate'),
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
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        supervision='fully',
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AVELSegmentAccuracy')
test_evaluator = val_evaluator
