# Published CPSP/PSP recipe, weakly supervised: the learning rate halves
# at epochs 5, 20 and 40.
_base_ = ['./adam_45e_fully.py']

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=45,
        by_epoch=True,
        milestones=[5, 20, 40],
        gamma=0.5)
]
