# CPSP, fully supervised, on VGGish audio and VGG-19 pool5 maps (AVE).
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
        type='CPSPHead',
        num_classes=28,
        in_channels=256,
        supervision='fully',
        loss_cls=dict(type='AVELFullyClsLoss', loss_weight=1.0),
        loss_avpsp=dict(type='AVPSPLoss', loss_weight=100.0),
        loss_spsa=dict(type='SegmentPSALoss', loss_weight=0.01, tau=0.6),
        loss_vpsa=dict(
            type='VideoPSALoss', loss_weight=1.0, margin=0.2, topk=3)),
    # 'float64' runs the whole model in double precision, as the
    # published code trained.
    precision='float32')
