# SSPSP: PSP (cls + 100 L_avpsp) + the self-supervised audio-to-visual term.
# Dataset: VGGSound-AVEL100k. Canonical config; the short alias is
# configs/sspsp_fully_vggsound_avel100k.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   model.head.loss_*.loss_weight   0 switches a loss term off (ablations)
#   randomness.seed                 123 as published; or --seed
_base_ = [
    '../_base_/models/cpsp_avga.py', '../_base_/datasets/vggsound_avel100k_fully.py',
    '../_base_/schedules/adam_45e_fully.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(visual_channels=1024),
    head=dict(
        num_classes=141,
        loss_spsa=None,
        loss_vpsa=None,
        loss_sspsp=dict(type='SSPSPLoss', loss_weight=1.0, tau=0.1)))
