# Recipe of the CVPR 2021 PSP release, weakly supervised: as fully
# supervised, the learning rate times 0.8 after epochs 80 and 160.
_base_ = ['./adam_300e_psp_cvpr21_fully.py']

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=300,
        by_epoch=True,
        milestones=[80, 160],
        gamma=0.8)
]
