# PSP as released with the CVPR 2021 paper, weakly supervised: a different
# network (raw audio drives the attention, one linear visual embedding, PSP
# without renormalisation after pruning nor output projection) whose
# per-segment scores over C + 1 classes are gated in time; the video
# prediction softmax_c(mean_t s_t) is scored by BCE against the normalised
# weak label of prob_label.h5. As released, the 178 background-only videos
# are part of training (with the background one-hot). The published 73.5 %
# on AVE comes from this model, not from psp_weakly_ave.py.
# Dataset: AVE with prob_label.h5 and the *_noisy.h5 files. Canonical
# config; the short alias is configs/psp_cvpr21_weakly_ave.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   train_dataloader.dataset.use_noisy  False trains without the noisy videos
#   model.precision                 'float64' to train in double precision
#   randomness.seed                 123 as published; or --seed
_base_ = [
    '../_base_/models/psp_cvpr21_avga.py', '../_base_/datasets/ave_weakly.py',
    '../_base_/schedules/adam_300e_psp_cvpr21_weakly.py',
    '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(embed_audio=False, visual_embedding='linear'),
    neck=dict(threshold=0.095, renormalize=False, output_projection=False),
    head=dict(
        supervision='weakly',
        loss_cls=dict(_delete_=True, type='VideoBCELoss', loss_weight=1.0),
        loss_avpsp=None))

train_dataloader = dict(
    batch_size=128,
    drop_last=True,
    dataset=dict(use_noisy=True, with_prob_label=True))
auto_scale_lr = dict(base_batch_size=128)
