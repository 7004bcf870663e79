# The AVVP recipe of both releases (avvp.md section 8): Adam 3e-4, no
# weight decay, no gradient clipping, the learning rate divided by 10 every
# 10 epochs; 12 epochs (PSP-MMIL / CPSP).
max_epochs = 12
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
    val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(optimizer=dict(type='Adam', lr=3e-4, weight_decay=0.0))
param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=10, gamma=0.1)
]
