import math
from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


class TestSegmentCELoss(TestCase):

    def test_hand_computed(self):
        loss_fn = MODELS.build(dict(type='SegmentCELoss', loss_weight=2.))
        # Two segments, C + 1 = 2: logits [0, log 3] and [0, 0].
        logits = torch.tensor([[[0., math.log(3)], [0., 0.]]],
                              dtype=torch.float64)
        labels = torch.tensor([[1, 0]])
        expected = 2 * (-math.log(3 / 4) - math.log(1 / 2)) / 2
        self.assertAlmostEqual(
            loss_fn(logits, labels).item(), expected, places=12)


class TestVideoBCELoss(TestCase):

    def test_hand_computed(self):
        loss_fn = MODELS.build(dict(type='VideoBCELoss'))
        prob = torch.tensor([[0.8, 0.2]], dtype=torch.float64)
        target = torch.tensor([[0.6, 0.4]], dtype=torch.float64)
        expected = -(0.6 * math.log(0.8) + 0.4 * math.log(0.2) +
                     0.4 * math.log(0.2) + 0.6 * math.log(0.8)) / 2
        self.assertAlmostEqual(loss_fn(prob, target).item(), expected,
                               places=12)
