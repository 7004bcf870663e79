# CPSP, fully supervised: cls + 100 L_avpsp + 0.01 L_spsa + L_vpsa(margin 0.2, K 3).
# Dataset: AVE. Canonical config; the short alias is
# configs/cpsp_fully_ave.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   model.head.loss_*.loss_weight   0 switches a loss term off (ablations)
#   randomness.seed                 123 as published; or --seed
_base_ = [
    '../_base_/models/cpsp_avga.py', '../_base_/datasets/ave_fully.py',
    '../_base_/schedules/adam_45e_fully.py', '../_base_/default_runtime.py'
]
