# HAN (Tian et al., ECCV 2020) on VGGish audio, ResNet-152 frames and
# R(2+1)D-18 clips (LLP): one hybrid attention layer shared by both
# modalities, the MMIL head filtered by the global probability.
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
    neck=dict(
        type='HANNeck',
        channels=512,
        num_heads=1,
        feedforward_channels=512,
        dropout=0.1),
    head=dict(
        type='MMILHead',
        num_classes=25,
        in_channels=512,
        loss_bce=dict(
            type='MMILBCELoss',
            loss_weight=1.0,
            audio_confidence=1.0,
            visual_confidence=0.9),
        filter_by='global'),
    # 'float64' runs the whole model in double precision.
    precision='float32')
