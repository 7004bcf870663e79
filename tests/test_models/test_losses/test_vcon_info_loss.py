import math
from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


def _inputs(video_feats):
    """MMIL inputs [B, T=2, 2, D] whose mean over t and m is given."""
    feats = torch.tensor(video_feats, dtype=torch.float64)
    return feats[:, None, None].expand(-1, 2, 2, -1).clone()


def _labels(classes, num_classes=4):
    label = torch.zeros(len(classes), num_classes, dtype=torch.float64)
    for row, names in enumerate(classes):
        label[row, names] = 1
    return label


class TestVconInfoLoss(TestCase):

    def test_defaults_are_the_scripts(self):
        loss_fn = MODELS.build(dict(type='VconInfoLoss'))
        self.assertEqual((loss_fn.ratio, loss_fn.eta, loss_fn.loss_weight),
                         (1.0, 1.0, 1.0))

    def test_hand_computed(self):
        loss_fn = MODELS.build(
            dict(type='VconInfoLoss', loss_weight=2.0, ratio=0.9, eta=0.2))
        # z: three unit vectors (the second normalised from [0, 2]).
        mmil_inputs = _inputs([[1., 0.], [0., 2.], [0.6, 0.8]])
        # Video 0 {0}, video 1 {0, 1}, video 2 {2}.
        weak_label = _labels([[0], [0, 1], [2]])
        z = [[1., 0.], [0., 1.], [0.6, 0.8]]

        def affinity(a, b):
            return math.exp(sum(x * y for x, y in zip(z[a], z[b])) / 0.2)

        # Anchor 0: positives {0, 1} (1 / 1 shared), negative {2}.
        # Anchor 1: positives {1} (video 0 holds 1 / 2 of its classes),
        # negative {2}. Anchor 2: positive {2}, negatives {0, 1}.
        anchors = [
            ((affinity(0, 0) + affinity(0, 1)) / 2, affinity(0, 2)),
            (affinity(1, 1), affinity(1, 2)),
            (affinity(2, 2), (affinity(2, 0) + affinity(2, 1)) / 2),
        ]
        expected = sum(-math.log(pos / (pos + neg))
                       for pos, neg in anchors) / 3
        self.assertAlmostEqual(
            loss_fn(mmil_inputs, weak_label).item(), 2 * expected, places=12)

    def test_ratio_one_needs_every_class(self):
        feats = _inputs([[1., 0.], [0., 1.], [1., 1.]])
        weak_label = _labels([[0, 1], [0, 1, 2], [3]])
        losses = [
            MODELS.build(dict(type='VconInfoLoss', ratio=ratio,
                              eta=0.5))(feats, weak_label).item()
            for ratio in (1.0, 0.5)
        ]
        # At 0.5, video 0 ({0, 1}, 2 of 3 classes) becomes a positive of
        # video 1: the loss changes.
        self.assertNotAlmostEqual(losses[0], losses[1], places=6)

    def test_batch_without_negative_is_dropped(self):
        loss_fn = MODELS.build(
            dict(type='VconInfoLoss', ratio=0.9, eta=0.2))
        mmil_inputs = _inputs([[1., 0.], [0., 1.], [0.6, 0.8]])
        mmil_inputs.requires_grad_(True)
        # Anchor 1 ({0, 1}) shares a class with every video: 0 / 0.
        weak_label = _labels([[0], [0, 1], [1]])
        loss = loss_fn(mmil_inputs, weak_label)
        self.assertEqual(loss.item(), 0)
        # The zero belongs to the graph: the sum with other terms trains,
        # and no NaN reaches any gradient.
        (loss + mmil_inputs.sum()).backward()
        self.assertTrue(torch.equal(mmil_inputs.grad,
                                    torch.ones_like(mmil_inputs)))

    def test_all_zero_label_is_dropped(self):
        loss_fn = MODELS.build(dict(type='VconInfoLoss'))
        mmil_inputs = _inputs([[1., 0.], [0., 1.]]).requires_grad_(True)
        loss = loss_fn(mmil_inputs, _labels([[0], []]))
        self.assertEqual(loss.item(), 0)
        loss.backward()
        self.assertTrue(torch.equal(mmil_inputs.grad,
                                    torch.zeros_like(mmil_inputs)))
