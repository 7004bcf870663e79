from unittest import TestCase

import torch

from mmcpsp.models.losses import pair_similarity
from mmcpsp.registry import MODELS


class TestPairSimilarity(TestCase):

    def test_cosine_with_a_floor(self):
        visual_out = torch.tensor([[[3., 4.], [0., 0.]]], dtype=torch.float64)
        audio_out = torch.tensor([[[4., 3.], [1., 0.]]], dtype=torch.float64)
        similarity = pair_similarity(visual_out, audio_out)
        torch.testing.assert_close(
            similarity, torch.tensor([[24 / 25, 0.]], dtype=torch.float64))


class TestAVPSPLoss(TestCase):

    def test_default_weight_is_100(self):
        self.assertEqual(MODELS.build(dict(type='AVPSPLoss')).loss_weight,
                         100.)

    def test_hand_computed(self):
        loss_fn = MODELS.build(dict(type='AVPSPLoss', loss_weight=100.))
        similarity = torch.tensor([[0.6, -0.2, 0.2]], dtype=torch.float64)
        event_mask = torch.tensor([[1, 0, 1]])
        # s_hat = [0.6, 0, 0.2] / (0.8 + 1e-8), q = [1, 0, 1] / (2 + 1e-6).
        s_hat = [0.6 / (0.8 + 1e-8), 0., 0.2 / (0.8 + 1e-8)]
        q = [1 / (2 + 1e-6), 0., 1 / (2 + 1e-6)]
        expected = 100 * sum((s - t)**2 for s, t in zip(s_hat, q)) / 3
        self.assertAlmostEqual(
            loss_fn(similarity, event_mask).item(), expected, places=12)
        self.assertAlmostEqual(expected, 100 * 0.125 / 3, places=4)

    def test_no_event_and_no_similarity(self):
        loss_fn = MODELS.build(dict(type='AVPSPLoss', loss_weight=1.))
        similarity = torch.tensor([[-0.5, -0.1], [0.3, 0.1]],
                                  dtype=torch.float64)
        event_mask = torch.tensor([[False, False], [False, False]])
        # Row 1: both terms are 0; row 2: s_hat = [0.75, 0.25], q = 0.
        s_hat = [0.3 / (0.4 + 1e-8), 0.1 / (0.4 + 1e-8)]
        expected = (s_hat[0]**2 + s_hat[1]**2) / 4
        self.assertAlmostEqual(
            loss_fn(similarity, event_mask).item(), expected, places=14)
