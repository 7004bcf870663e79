import math
from unittest import TestCase

import torch

from mmcpsp.models.losses import segment_similarity
from mmcpsp.registry import MODELS


class TestSegmentSimilarity(TestCase):

    def test_rows_audio_columns_visual(self):
        audio = torch.tensor([[[3., 4.], [0., 0.]]], dtype=torch.float64)
        visual = torch.tensor([[[1., 0.], [0., 2.]]], dtype=torch.float64)
        expected = torch.tensor([[[0.6, 0.8], [0., 0.]]], dtype=torch.float64)
        torch.testing.assert_close(segment_similarity(audio, visual),
                                   expected)


class TestSegmentContrastLoss(TestCase):

    def test_hand_computed_t3(self):
        loss_fn = MODELS.build(
            dict(type='SegmentContrastLoss', loss_weight=0.5))
        audio = torch.tensor([[[1., 0.], [0., 1.], [1., 1.]]],
                             dtype=torch.float64)
        visual = torch.tensor([[[2., 0.], [0., 3.], [-1., 0.]]],
                              dtype=torch.float64)
        cos = [[1., 0., -1.], [0., 1., 0.],
               [1 / math.sqrt(2), 1 / math.sqrt(2), -1 / math.sqrt(2)]]
        rows = []
        for i, row in enumerate(cos):
            logits = [value / 0.2 for value in row]
            log_norm = math.log(sum(math.exp(value) for value in logits))
            # 0.9 on the own segment, 0.1 / (T - 1) on each other one.
            rows.append(-sum((0.9 if j == i else 0.05) *
                             (logits[j] - log_norm) for j in range(3)))
        self.assertAlmostEqual(
            loss_fn(audio, visual).item(), 0.5 * sum(rows) / 3, places=12)

    def test_mean_over_rows_of_all_videos(self):
        loss_fn = MODELS.build(dict(type='SegmentContrastLoss'))
        generator = torch.Generator().manual_seed(0)
        audio = torch.randn(3, 10, 8, generator=generator,
                            dtype=torch.float64)
        visual = torch.randn(3, 10, 8, generator=generator,
                             dtype=torch.float64)
        per_video = torch.stack(
            [loss_fn(audio[b:b + 1], visual[b:b + 1]) for b in range(3)])
        torch.testing.assert_close(loss_fn(audio, visual), per_video.mean())
        # Target 0.1 / 9 off the diagonal: a perfectly aligned, sharp
        # similarity is not a zero loss.
        self.assertGreater(loss_fn(audio, audio).item(), 0)

    def test_needs_two_segments(self):
        loss_fn = MODELS.build(dict(type='SegmentContrastLoss'))
        feats = torch.ones(2, 1, 4)
        with self.assertRaisesRegex(ValueError, 'T >= 2'):
            loss_fn(feats, feats)
