# AVE from its raw videos (AVE_Dataset/AVE/<VideoID>.mp4, Annotations.txt,
# trainSet.txt / valSet.txt / testSet.txt or the *_order.h5 files).
dataset_type = 'AVEVideoDataset'
data_root = 'data/AVE_Dataset'
# Frames sampled uniformly in each one-second segment, and their size.
frames_per_segment = 4
frame_size = (224, 224)

train_pipeline = [
    dict(type='DecodeAVSegments', num_segments=10,
         frames_per_segment=frames_per_segment, frame_size=frame_size),
    dict(type='StackSegmentFrames'),
    dict(type='VGGishLogMel'),
    dict(type='PackAVELInputs')
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        supervision='fully',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        supervision='fully',
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        supervision='fully',
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AVELSegmentAccuracy')
test_evaluator = val_evaluator
