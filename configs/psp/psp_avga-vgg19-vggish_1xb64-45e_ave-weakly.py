# PSP, weakly supervised: weak cls only.
# Dataset: AVE. Canonical config; the short alias is
# configs/psp_weakly_ave.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   model.head.loss_*.loss_weight   0 switches a loss term off (ablations)
#   randomness.seed                 123 as published; or --seed
_base_ = [
    '../_base_/models/cpsp_avga.py', '../_base_/datasets/ave_weakly.py',
    '../_base_/schedules/adam_45e_weakly.py', '../_base_/default_runtime.py'
]

model = dict(
    neck=dict(threshold=0.095),
    head=dict(
        supervision='weakly',
        loss_cls=dict(_delete_=True, type='AVELWeaklyClsLoss', loss_weight=1.0),
        loss_avpsp=None,
        loss_spsa=None,
        loss_vpsa=None))
