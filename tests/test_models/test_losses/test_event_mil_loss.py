import math
from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


class TestEventMILLoss(TestCase):

    def test_hand_computed(self):
        loss_fn = MODELS.build(dict(type='EventMILLoss', loss_weight=2.))
        # Largest event probability per video: sigmoid(2) for the labelled
        # video, sigmoid(0) = 0.5 for the background-only one.
        event_logits = torch.tensor([[-1., 2., 0.], [0., -3., -1.]],
                                    dtype=torch.float64)
        has_event = torch.tensor([True, False])
        expected = 2 * (-math.log(1 / (1 + math.exp(-2))) -
                        math.log(0.5)) / 2
        self.assertAlmostEqual(
            loss_fn(event_logits, has_event).item(), expected, places=12)

    def test_pushes_background_only_videos_down(self):
        loss_fn = MODELS.build(dict(type='EventMILLoss'))
        event_logits = torch.zeros(2, 4, dtype=torch.float64,
                                   requires_grad=True)
        loss_fn(event_logits, torch.tensor([1, 0])).backward()
        # Only the top segment of each video gets a gradient: down for the
        # background-only video, up for the labelled one.
        self.assertLess(event_logits.grad[0].sum().item(), 0)
        self.assertGreater(event_logits.grad[1].sum().item(), 0)
        self.assertEqual(int((event_logits.grad != 0).sum()), 2)

    def test_stable_for_large_logits(self):
        loss_fn = MODELS.build(dict(type='EventMILLoss'))
        event_logits = torch.tensor([[1000., -1000.], [-1000., -900.]],
                                    dtype=torch.float32)
        loss = loss_fn(event_logits, torch.tensor([1, 0]))
        self.assertTrue(torch.isfinite(loss))
        self.assertAlmostEqual(loss.item(), 0., places=6)
