# CPSP, weakly supervised, learning background from background-only videos:
# weak cls + L_vpsa(margin 0.6, K 4) + the event-head MIL loss, with the
# 178 background-only (noisy) AVE videos in training. mmcpsp's extension
# beyond the paper (the published weakly configs never learn background);
# measured in configs/cpsp/README.md.
# Dataset: AVE, plus audio_feature_noisy.h5, visual_feature_noisy.h5 and
# labels_noisy.h5. Canonical config; the short alias is
# configs/cpsp_weakly_noisy_ave.py.
# Frequently modified settings (all settable with --cfg-options):
#   *_dataloader.dataset.data_root  the dataset folder
#   model.head.loss_mil.loss_weight weight of the MIL loss
#   model.precision                 'float64' to train in double precision
#   randomness.seed                 123 as published; or --seed
_base_ = ['./cpsp_avga-vgg19-vggish_1xb64-45e_ave-weakly.py']

model = dict(
    head=dict(
        # A background-only video is a class of its own in L_vpsa, never a
        # positive of class 0.
        background_own_class=True,
        # For each video, max_t sigmoid(event_logit_t) against 1 for a
        # labelled video and 0 for a background-only one.
        loss_mil=dict(type='EventMILLoss', loss_weight=1.0)))

train_dataloader = dict(dataset=dict(use_noisy=True))
