# SSPSP: PSP (cls + 100 L_avpsp) + the self-supervised audio-to-visual term.
# Dataset: VGGSound-AVEL50k, the 100k config on the 50k subset. Alias:
# configs/sspsp_fully_vggsound_avel50k.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.precision                 'float64' to train in double precision
#   model.head.loss_*.loss_weight   0 switches a loss term off (ablations)
#   randomness.seed                 123 as published; or --seed
_base_ = ['./sspsp_avga-resnet-vggish_1xb64-45e_vggsound-avel100k-fully.py']

data_root = 'data/vggsound_avel50k'
# The 50k subset ships its own meta CSV.
meta_file = 'vggsound-avel50k.csv'
train_dataloader = dict(dataset=dict(data_root=data_root, meta_file=meta_file))
val_dataloader = dict(dataset=dict(data_root=data_root, meta_file=meta_file))
test_dataloader = dict(dataset=dict(data_root=data_root, meta_file=meta_file))
