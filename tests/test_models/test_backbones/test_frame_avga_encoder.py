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

    def test_2d_frames_averaged_per_segment(self):
        encoder = MODELS.build(
            dict(
                type='FrameAVGAEncoder',
                visual_backbone=dict(type='ResNet', depth=18,
                                     pretrained=None),
                visual_channels=512,
                num_regions=1,
                audio_backbone=dict(type='VGGish'),
                audio_channels=128))
        encoder.eval()
        frames = torch.randn(1, 2, 3, 3, 32, 32)  # B T N C H W
        with torch.no_grad():
            maps = encoder.encode_visual(frames)
            per_frame = encoder.visual_backbone(frames.flatten(0, 2))
            audio = encoder.encode_audio(torch.randn(1, 2, 96, 64))
            audio_seq, visual_seq = encoder(torch.randn(1, 2, 96, 64),
                                            frames)
        self.assertEqual(maps.shape, (1, 2, 1, 1, 512))
        torch.testing.assert_close(
            maps[0, 1, 0, 0], per_frame[3:].mean(dim=0).flatten())
        self.assertEqual(audio.shape, (1, 2, 128))
        self.assertEqual(visual_seq.shape, (1, 2, 256))

    def test_3d_backbone_and_resnet_audio(self):
        encoder = MODELS.build(
            dict(
                type='FrameAVGAEncoder',
                visual_backbone=dict(type='X3D', gamma_w=1, gamma_b=2.25,
                                     gamma_d=2.2),
                visual_channels=432,
                num_regions=1,
                visual_kind='3d',
                audio_backbone=dict(type='ResNetAudio', depth=50,
                                    pretrained=None),
                audio_channels=1024))
        encoder.eval()
        audio = torch.randn(1, 2, 96, 64)
        frames = torch.randn(1, 2, 2, 3, 32, 32)  # B T N C H W
        with torch.no_grad():
            self.assertEqual(encoder.encode_visual(frames).shape,
                             (1, 2, 1, 1, 432))
            self.assertEqual(encoder.encode_audio(audio).shape, (1, 2, 1024))
            audio_seq, visual_seq = encoder(audio, frames)
        self.assertEqual(audio_seq.shape, (1, 2, 256))

    def test_feature_maps_are_refused_with_a_clear_message(self):
        # What the README's snippet used to feed it: pre-extracted maps.
        encoder = MODELS.build(
            dict(
                type='FrameAVGAEncoder',
                visual_backbone=dict(type='ResNet', depth=18, pretrained=None),
                visual_channels=512,
                num_regions=49))
        with self.assertRaisesRegex(ValueError, 'AVGAEncoder'):
            encoder(torch.randn(2, 10, 128), torch.randn(2, 10, 7, 7, 512))

    def test_region_count_must_match_the_maps(self):
        encoder = MODELS.build(
            dict(
                type='FrameAVGAEncoder',
                visual_backbone=dict(type='ResNet', depth=18, pretrained=None),
                visual_channels=512,
                num_regions=49))
        with self.assertRaisesRegex(ValueError, 'num_regions'):
            encoder(torch.randn(1, 2, 128), torch.randn(1, 2, 3, 64, 64))
