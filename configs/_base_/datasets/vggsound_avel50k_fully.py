# VGGSound-AVEL50k: the half-size subset of VGGSound-AVEL100k with the same
# split and better labels, in the same format.
_base_ = ['./vggsound_avel100k_fully.py']

data_root = 'data/vggsound_avel50k'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
