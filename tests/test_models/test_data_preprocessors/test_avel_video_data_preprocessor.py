from unittest import TestCase

import torch
from mmengine.registry import init_default_scope

from mmcpsp.registry import MODELS


class TestAVELVideoDataPreprocessor(TestCase):

    def setUp(self):
        init_default_scope('mmcpsp')

    def test_normalise_and_channels_first(self):
        preprocessor = MODELS.build(
            dict(type='AVELVideoDataPreprocessor', mean=(10, 20, 30),
                 std=(1, 2, 5)))
        frames = torch.zeros(2, 3, 4, 5, 3, dtype=torch.uint8)  # T N H W C
        frames[..., 0], frames[..., 1], frames[..., 2] = 11, 24, 40
        data = dict(inputs=dict(audio=[torch.randn(2, 96, 64)] * 2,
                                visual=[frames, frames]))
        outputs = preprocessor(data)
        visual = outputs['inputs']['visual']
        self.assertEqual(visual.shape, (2, 2, 3, 3, 4, 5))  # B T N C H W
        self.assertEqual(visual.dtype, torch.float32)
        self.assertTrue((visual[:, :, :, 0] == 1).all())
        self.assertTrue((visual[:, :, :, 1] == 2).all())
        self.assertTrue((visual[:, :, :, 2] == 2).all())
        self.assertEqual(outputs['inputs']['audio'].shape, (2, 2, 96, 64))

    def test_bgr_and_double(self):
        preprocessor = MODELS.build(
            dict(type='AVELVideoDataPreprocessor', mean=(0, 0, 0),
                 std=(1, 1, 1), channel_order='bgr'))
        preprocessor.to(torch.float64)
        frames = torch.tensor([1, 2, 3], dtype=torch.uint8).expand(
            1, 1, 1, 1, 3)
        visual = preprocessor(dict(inputs=dict(
            audio=[torch.zeros(1, 96, 64)], visual=[frames])))['inputs'][
                'visual']
        self.assertEqual(visual.dtype, torch.float64)
        self.assertEqual(visual.flatten().tolist(), [3, 2, 1])
