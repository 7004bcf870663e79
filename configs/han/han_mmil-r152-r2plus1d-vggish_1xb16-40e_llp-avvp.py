# HAN (Tian et al., ECCV 2020), the AVVP baseline: one hybrid attention
# layer shared by both modalities and the MMIL head, the three BCE terms
# (visual target smoothed); 40 epochs; scored with the global-probability
# filter, as HAN's own numbers were.
# Dataset: LLP. Canonical config; the short alias is
# configs/han_avvp_llp.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   test_evaluator.filter_by        'modality' scores with CPSP's convention
#   randomness.seed                 1 as released; or --seed
_base_ = [
    '../_base_/models/han.py', '../_base_/datasets/llp.py',
    '../_base_/schedules/adam_12e_avvp.py', '../_base_/default_runtime.py'
]

max_epochs = 40
train_cfg = dict(max_epochs=max_epochs)
val_evaluator = dict(type='AVVPMetric', filter_by='global')
test_evaluator = val_evaluator
# The release keeps the best validation checkpoint (segment-level Type@AV,
# '>=': a tie keeps the later epoch).
default_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=1, save_best='avvp/segment_type',
        rule='greater_equal'))
# The releases seed with torch.manual_seed(1) before building the model.
randomness = dict(seed=1)
auto_scale_lr = dict(base_batch_size=16)
