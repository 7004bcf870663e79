# PSP as released with the CVPR 2021 paper (jasongief/PSP_CVPR_2021), fully
# supervised, on VGGish audio and VGG-19 pool5 maps (AVE): the network of
# CPSP with one per-segment MLP over C + 1 classes (background predicted
# directly) instead of CPSP's event and category heads.
model = dict(
    type='AVELLocalizer',
    data_preprocessor=dict(type='AVELDataPreprocessor'),
    backbone=dict(
        type='AVGAEncoder',
        audio_channels=128,
        visual_channels=512,
        num_regions=49),
    neck=dict(type='PSPNeck', channels=256, dropout=0.1, threshold=0.099),
    head=dict(
        type='PSPCVPR21Head',
        num_classes=28,
        in_channels=256,
        hidden_channels=64,
        supervision='fully',
        loss_cls=dict(type='SegmentCELoss', loss_weight=1.0),
        loss_avpsp=dict(type='AVPSPLoss', loss_weight=100.0)),
    # The CVPR 2021 release trained in float32.
    precision='float32')
