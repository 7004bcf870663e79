# LLP (Tian et al., ECCV 2020) for audio-visual video parsing: 11,849
# videos, 25 classes, 10,000 / 649 / 1,200; weak labels for training, dense
# audio and visual labels for val and test (tools/data/llp/README.md).
dataset_type = 'LLPDataset'
data_root = 'data/llp'
# dtype of the features handed to the model ('float64' for a float64 model).
feature_dtype = 'float32'
# Each split is read once into memory and a batch is one index gather, in
# the training process: 'ram', 'cuda', 'auto' or None (read from disk per
# sample, then give the dataloaders workers). The whole LLP set takes about
# 8 GB in float32 (ResNet-152 frames dominate); preload_dtype='float16'
# halves it, at the cost of rounding the stored features.
preload = 'ram'
preload_dtype = None

train_pipeline = [
    dict(type='LoadLLPFeatures', dtype=feature_dtype),
    dict(type='PackAVELInputs', input_keys=('audio', 'visual', 'visual_st'))
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        preload=preload,
        preload_dtype=preload_dtype,
        pipeline=train_pipeline))
# The releases scored one video a batch; in eval mode the networks are
# batch-independent, so larger batches give the same predictions.
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='avel_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
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
        preload=preload,
        preload_dtype=preload_dtype,
        pipeline=test_pipeline,
        test_mode=True))

# 'modality': CPSP's binarisation (each modality filtered by its own video
# probability); 'global': HAN's (both filtered by the global probability).
val_evaluator = dict(type='AVVPMetric', filter_by='modality')
test_evaluator = val_evaluator
