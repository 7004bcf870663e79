# CPSP's video parsing network (PSP-MMIL) on VGGish audio, ResNet-152 frames
# and R(2+1)D-18 clips (LLP): the recipe its run.sh means to run
# (threshold 0.090, segment and video contrastive terms, lambda_v 1).
model = dict(
    type='AVELLocalizer',
    data_preprocessor=dict(type='AVELDataPreprocessor'),
    backbone=dict(
        type='AVVPInputStage',
        audio_channels=128,
        frame_channels=2048,
        clip_channels=512,
        frames_per_segment=8,
        channels=512),
    neck=dict(type='PSPMMILNeck', channels=512, dropout=0.1, threshold=0.090),
    head=dict(
        type='MMILHead',
        num_classes=25,
        in_channels=512,
        loss_bce=dict(
            type='MMILBCELoss',
            loss_weight=1.0,
            audio_confidence=1.0,
            visual_confidence=0.9),
        loss_seg=dict(
            type='SegmentContrastLoss',
            loss_weight=1.0,
            temperature=0.2,
            smoothing=0.1),
        loss_vcon=dict(
            type='VconInfoLoss', loss_weight=1.0, ratio=0.9, eta=0.2),
        filter_by='modality'),
    # 'float64' runs the whole model in double precision.
    precision='float32')
