import math
from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


class TestSegmentPSALoss(TestCase):

    def test_defaults(self):
        loss_fn = MODELS.build(dict(type='SegmentPSALoss'))
        self.assertEqual((loss_fn.loss_weight, loss_fn.tau), (0.01, 0.6))

    def test_hand_computed(self):
        loss_fn = MODELS.build(
            dict(type='SegmentPSALoss', loss_weight=2., tau=0.5))
        # Video 0: z = [1, 0], [0, 1], [1, 0]; P = {0, 1}, N = {2}; dot
        # products / tau are 2 (same direction) or 0 (orthogonal).
        # Video 1: no event, left out of the mean.
        # Video 2: no background, loss 0 but counted in the mean.
        fused = torch.tensor(
            [[[2., 0.], [0., 3.], [1., 0.]],
             [[1., 0.], [0., 1.], [1., 1.]],
             [[1., 0.], [0., 1.], [1., 1.]]],
            dtype=torch.float64)
        event_mask = torch.tensor([[1, 1, 0], [0, 0, 0], [1, 1, 1]])
        e2 = math.exp(2)
        anchor_0 = -math.log((e2 + 1) / (e2 + 1 + e2))
        anchor_1 = -math.log((1 + e2) / (1 + e2 + 1))
        expected = 2 * ((anchor_0 + anchor_1) / 2 + 0) / 2
        self.assertAlmostEqual(
            loss_fn(fused, event_mask).item(), expected, places=14)

    def test_mean_over_several_negatives(self):
        loss_fn = MODELS.build(dict(type='SegmentPSALoss', loss_weight=1.,
                                    tau=1.))
        fused = torch.tensor([[[1., 0.], [0., 1.], [-1., 0.]]],
                             dtype=torch.float64)
        event_mask = torch.tensor([[True, False, False]])
        # Anchor 0: positive e^1, negatives e^0 and e^-1 averaged.
        negative = (1 + math.exp(-1)) / 2
        expected = -math.log(math.e / (math.e + negative))
        self.assertAlmostEqual(
            loss_fn(fused, event_mask).item(), expected, places=14)

    def test_gradient_is_not_zero(self):
        torch.manual_seed(0)
        loss_fn = MODELS.build(dict(type='SegmentPSALoss'))
        fused = torch.randn(3, 10, 16, dtype=torch.float64,
                            requires_grad=True)
        event_mask = torch.zeros(3, 10, dtype=torch.bool)
        event_mask[0, 2:6] = True
        event_mask[1, :] = True
        loss_fn(fused, event_mask).backward()
        self.assertGreater(fused.grad[0].abs().sum().item(), 0)
        # A video without background or without event does not train.
        self.assertEqual(fused.grad[1:].abs().sum().item(), 0)

    def test_batch_without_event_video(self):
        loss_fn = MODELS.build(dict(type='SegmentPSALoss'))
        fused = torch.randn(2, 4, 8, requires_grad=True)
        loss = loss_fn(fused, torch.zeros(2, 4, dtype=torch.bool))
        self.assertEqual(loss.item(), 0)
        self.assertTrue(loss.requires_grad)
        loss.backward()
        self.assertTrue(torch.isfinite(fused.grad).all())
        self.assertEqual(fused.grad.abs().sum().item(), 0)


class TestVideoPSALoss(TestCase):

    def test_defaults(self):
        loss_fn = MODELS.build(dict(type='VideoPSALoss'))
        self.assertEqual(
            (loss_fn.loss_weight, loss_fn.margin, loss_fn.topk), (1., 0.2, 3))

    def test_hand_computed(self):
        loss_fn = MODELS.build(
            dict(type='VideoPSALoss', margin=0.2, topk=1))
        # One segment per video: g = [1, 0], [0, 1], [-1, 0], classes 0, 0, 1.
        # d01 = d12 = sqrt(2), d02 = 2, d_aa = sqrt(1e-12) = 1e-6.
        # a=0: max(0, sqrt(2) - 2 + 0.2) = 0; a=1: sqrt(2) - sqrt(2) + 0.2;
        # a=2: the hardest positive is itself: max(0, 1e-6 - sqrt(2) + 0.2).
        fused = torch.tensor([[[3., 0.]], [[0., 2.]], [[-1., 0.]]],
                             dtype=torch.float64)
        loss = loss_fn(fused, torch.tensor([0, 0, 1]))
        self.assertAlmostEqual(loss.item(), 0.2 / 3, places=14)

    def test_video_feature_is_the_mean_of_normalised_rows(self):
        loss_fn = MODELS.build(
            dict(type='VideoPSALoss', margin=1., topk=1))
        # g0 = ([1, 0] + [0, 1]) / 2 (norm 1/sqrt(2), not renormalised),
        # g1 = [1, 0]: d = sqrt(1/2 + 1 - 1) = sqrt(1/2) for both anchors.
        fused = torch.tensor([[[5., 0.], [0., 2.]], [[1., 0.], [3., 0.]]],
                             dtype=torch.float64)
        loss = loss_fn(fused, torch.tensor([0, 1]))
        expected = 1e-6 - math.sqrt(0.5) + 1
        self.assertAlmostEqual(loss.item(), expected, places=14)

    def test_missing_negatives_count_as_1e12(self):
        # With a margin of 1e12 the hinge is always active, so the mean of
        # the K nearest negatives shows in the loss.
        loss_fn = MODELS.build(
            dict(type='VideoPSALoss', margin=1e12, topk=2))
        fused = torch.tensor([[[3., 0.]], [[0., 2.]], [[-1., 0.]]],
                             dtype=torch.float64)
        loss = loss_fn(fused, torch.tensor([0, 0, 1]))
        root2 = math.sqrt(2)
        # a=0: d+ = sqrt(2), negatives {2, 1e12}; a=1: d+ = sqrt(2),
        # negatives {sqrt(2), 1e12}; a=2: d+ = 1e-6, negatives {2, sqrt(2)}.
        hinges = [
            root2 - (2 + 1e12) / 2 + 1e12, root2 - (root2 + 1e12) / 2 + 1e12,
            1e-6 - (2 + root2) / 2 + 1e12
        ]
        self.assertAlmostEqual(
            loss.item() / (sum(hinges) / 3), 1, places=12)

    def test_batch_smaller_than_k(self):
        loss_fn = MODELS.build(
            dict(type='VideoPSALoss', margin=1e12, topk=3))
        fused = torch.tensor([[[1., 0.]], [[0., 1.]]], dtype=torch.float64)
        loss = loss_fn(fused, torch.tensor([0, 1]))
        # d+ = 1e-6 (self), d- = (sqrt(2) + 2e12) / 3 for both videos.
        expected = 1e-6 - (math.sqrt(2) + 2e12) / 3 + 1e12
        self.assertAlmostEqual(loss.item() / expected, 1, places=12)

    def test_gradient_flows(self):
        torch.manual_seed(0)
        loss_fn = MODELS.build(dict(type='VideoPSALoss', margin=2., topk=2))
        fused = torch.randn(4, 5, 8, dtype=torch.float64, requires_grad=True)
        loss_fn(fused, torch.tensor([0, 0, 1, 2])).backward()
        self.assertTrue(torch.isfinite(fused.grad).all())
        self.assertGreater(fused.grad.abs().sum().item(), 0)
