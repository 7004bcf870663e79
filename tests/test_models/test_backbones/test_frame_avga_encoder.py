from unittest import TestCase

import torch
from mmengine.registry import init_default_scope

from mmcpsp.registry import MODELS


class TestFrameAVGAEncoder(TestCase):

    def setUp(self):
        init_default_scope('mmcpsp')

    def test_mmaction_resnet_drives_the_encoder(self):
        # MMAction2's ResNet-18 named without prefix: 64 x 64 frames give
        # 2 x 2 maps of 512 channels.
        encoder = MODELS.build(
            dict(
                type='FrameAVGAEncoder',
                visual_backbone=dict(
                    type='ResNet', depth=18, pretrained=None, norm_eval=False),
                visual_channels=512,
                num_regions=4))
        self.assertEqual(
            type(encoder.visual_backbone).__module__.split('.')[0],
            'mmaction')
        audio = torch.randn(2, 3, 128)
        frames = torch.randn(2, 3, 3, 64, 64)
        audio_seq, visual_seq = encoder(audio, frames)
        self.assertEqual(audio_seq.shape, (2, 3, 256))
        self.assertEqual(visual_seq.shape, (2, 3, 256))
        visual_seq.sum().backward()
        conv1 = encoder.visual_backbone.conv1.conv.weight
        self.assertGreater(conv1.grad.abs().sum().item(), 0)

    def test_region_count_must_match_the_maps(self):
        encoder = MODELS.build(
            dict(
                type='FrameAVGAEncoder',
                visual_backbone=dict(type='ResNet', depth=18, pretrained=None),
                visual_channels=512,
                num_regions=49))
        with self.assertRaisesRegex(ValueError, 'num_regions'):
            encoder(torch.randn(1, 2, 128), torch.randn(1, 2, 3, 64, 64))
