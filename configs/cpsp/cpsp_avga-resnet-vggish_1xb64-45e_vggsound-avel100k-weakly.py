# CPSP, weakly supervised: weak cls + L_vpsa(margin 0.6, K 4).
# Dataset: VGGSound-AVEL100k. Canonical config; the short alias is
# configs/cpsp_weakly_vggsound_avel100k.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   model.head.loss_*.loss_weight   0 switches a loss term off (ablations)
#   randomness.seed                 123 as published; or --seed
_base_ = [
    '../_base_/models/cpsp_avga.py', '../_base_/datasets/vggsound_avel100k_weakly.py',
    '../_base_/schedules/adam_45e_weakly.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(visual_channels=1024),
    neck=dict(threshold=0.095),
    head=dict(
        num_classes=141,
        supervision='weakly',
        loss_cls=dict(_delete_=True, type='AVELWeaklyClsLoss', loss_weight=1.0),
        loss_avpsp=None,
        loss_spsa=None,
        loss_vpsa=dict(margin=0.6, topk=4)))
