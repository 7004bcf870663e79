# VGGSound-AVEL100k, weakly supervised: training sees the video labels only;
# validation and test are scored with the segment labels.
_base_ = ['./vggsound_avel100k_fully.py']

train_dataloader = dict(dataset=dict(supervision='weakly'))
val_dataloader = dict(dataset=dict(supervision='weakly'))
test_dataloader = dict(dataset=dict(supervision='weakly'))
