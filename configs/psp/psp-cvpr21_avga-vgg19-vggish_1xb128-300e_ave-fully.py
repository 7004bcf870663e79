# PSP as released with the CVPR 2021 paper, fully supervised: cross-entropy
# over C + 1 classes for every segment + 100 L_avpsp; a segment is predicted
# as the argmax over C + 1 (background included). The published 77.8 % on
# AVE comes from this model, not from psp_fully_ave.py (the CPSP codebase's
# PSP, whose heads differ).
# Dataset: AVE. Canonical config; the short alias is
# configs/psp_cvpr21_fully_ave.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   model.head.loss_avpsp.loss_weight  0 switches the pair loss off
#   randomness.seed                 123 as published; or --seed
_base_ = [
    '../_base_/models/psp_cvpr21_avga.py', '../_base_/datasets/ave_fully.py',
    '../_base_/schedules/adam_300e_psp_cvpr21_fully.py',
    '../_base_/default_runtime.py'
]

# The release drew 128 videos a batch and dropped the last partial one.
train_dataloader = dict(batch_size=128, drop_last=True)
# The release picked checkpoints on the test split every 5 epochs; mmcpsp
# validates every 5 epochs and keeps the best on val.
auto_scale_lr = dict(base_batch_size=128)
