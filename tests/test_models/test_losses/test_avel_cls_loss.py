import math
from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


class TestAVELFullyClsLoss(TestCase):

    def test_hand_computed(self):
        loss_fn = MODELS.build(dict(type='AVELFullyClsLoss', loss_weight=2.))
        event_logits = torch.tensor([[0., math.log(3)]], dtype=torch.float64)
        category_logits = torch.tensor([[0., math.log(3)]],
                                       dtype=torch.float64)
        event_mask = torch.tensor([[True, False]])
        # BCE: -log(1/2) and -log(1 - 3/4), averaged over B * T = 2;
        # CE of class 1: -log(3/4).
        expected = 2 * ((math.log(2) + math.log(4)) / 2 + math.log(4 / 3))
        loss = loss_fn(event_logits, category_logits, event_mask,
                       torch.tensor([1]))
        self.assertAlmostEqual(loss.item(), expected, places=14)

    def test_averages_over_the_batch(self):
        loss_fn = MODELS.build(dict(type='AVELFullyClsLoss'))
        event_logits = torch.tensor([[0.], [math.log(3)]], dtype=torch.float64)
        category_logits = torch.tensor([[0., 0.], [0., math.log(3)]],
                                       dtype=torch.float64)
        loss = loss_fn(event_logits, category_logits,
                       torch.tensor([[1.], [1.]]), torch.tensor([0, 0]))
        expected = ((math.log(2) + math.log(4 / 3)) / 2 +
                    (math.log(2) + math.log(4)) / 2)
        self.assertAlmostEqual(loss.item(), expected, places=14)


class TestAVELWeaklyClsLoss(TestCase):

    def test_sigmoid_on_top_of_the_probability(self):
        loss_fn = MODELS.build(dict(type='AVELWeaklyClsLoss'))
        video_prob = torch.tensor([[0.5, 0.5], [0.9, 0.1]],
                                  dtype=torch.float64)
        weak_label = torch.tensor([[1, 0], [0, 0]])

        def softplus(x):
            return math.log1p(math.exp(x))

        # -log sigmoid(p) = softplus(-p), -log sigmoid(-p) = softplus(p).
        expected = (softplus(-0.5) + softplus(0.5) + softplus(0.9) +
                    softplus(0.1)) / 4
        self.assertAlmostEqual(
            loss_fn(video_prob, weak_label).item(), expected, places=14)

    def test_loss_weight(self):
        video_prob = torch.tensor([[0.2, 0.8]])
        weak_label = torch.tensor([[0, 1]])
        single = MODELS.build(dict(type='AVELWeaklyClsLoss'))
        triple = MODELS.build(dict(type='AVELWeaklyClsLoss', loss_weight=3.))
        torch.testing.assert_close(
            triple(video_prob, weak_label), 3 * single(video_prob, weak_label))
