# AVE, weakly supervised: training sees the video labels of mil_labels.h5;
# validation and test are scored with the segment labels.
_base_ = ['./ave_fully.py']

train_dataloader = dict(
    dataset=dict(
        supervision='weakly',
        # The 178 background-only videos as extra negatives.
        use_noisy=False))
val_dataloader = dict(dataset=dict(supervision='weakly'))
test_dataloader = dict(dataset=dict(supervision='weakly'))
