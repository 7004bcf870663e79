# PSP-MMIL as the CPSP release's run.sh actually ran (its python line ends
# without a backslash, so the script's defaults apply): PSP threshold 0.099,
# the segment contrastive term, no video-level term; 12 epochs.
# Dataset: LLP. Canonical config; the short alias is
# configs/psp_avvp_llp.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   randomness.seed                 1 as released; or --seed
_base_ = ['../cpsp/cpsp_mmil-r152-r2plus1d-vggish_1xb16-12e_llp-avvp.py']

model = dict(neck=dict(threshold=0.099), head=dict(loss_vcon=None))
