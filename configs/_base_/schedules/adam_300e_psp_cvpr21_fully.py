# Recipe of the CVPR 2021 PSP release, fully supervised: Adam, lr 1e-3,
# batch 128, 300 epochs, the learning rate times 0.8 after epochs 60 and
# 120, no gradient clipping.
max_epochs = 300
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
    val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[60, 120],
        gamma=0.8)
]
