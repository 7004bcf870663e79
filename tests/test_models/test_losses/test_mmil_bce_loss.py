import math
from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


def _bce(prob: float, target: float) -> float:
    return -(target * math.log(prob) + (1 - target) * math.log(1 - prob))


class TestMMILBCELoss(TestCase):

    def test_hand_computed_terms_and_weight(self):
        loss_fn = MODELS.build(dict(type='MMILBCELoss', loss_weight=2.0))
        weak_label = torch.tensor([[1., 0.], [0., 1.]], dtype=torch.float64)
        global_probs = torch.tensor([[0.7, 0.2], [0.4, 0.9]],
                                    dtype=torch.float64)
        audio_probs = torch.tensor([[0.6, 0.1], [0.3, 0.8]],
                                   dtype=torch.float64)
        visual_probs = torch.tensor([[0.5, 0.3], [0.2, 0.6]],
                                    dtype=torch.float64)
        losses = loss_fn(global_probs, audio_probs, visual_probs, weak_label)
        self.assertEqual(set(losses),
                         {'loss_audio', 'loss_visual', 'loss_global'})
        labels = [[1, 0], [0, 1]]

        def mean_bce(probs, target_of):
            return sum(
                _bce(probs[b][c], target_of(labels[b][c]))
                for b in range(2) for c in range(2)) / 4

        # Audio and global targets are y; the visual one is 0.9 y + 0.05.
        expected = dict(
            loss_audio=mean_bce(audio_probs.tolist(), lambda y: y),
            loss_visual=mean_bce(visual_probs.tolist(),
                                 lambda y: 0.9 * y + 0.05),
            loss_global=mean_bce(global_probs.tolist(), lambda y: y))
        for name, value in expected.items():
            self.assertAlmostEqual(losses[name].item(), 2 * value, places=12)

    def test_clamp_and_its_zero_gradient(self):
        loss_fn = MODELS.build(dict(type='MMILBCELoss'))
        weak_label = torch.tensor([[1., 0., 1.]], dtype=torch.float64)
        # 0 and 1 would give an infinite BCE: they count as 1e-7 and
        # 1 - 1e-7, and no gradient flows through a clamped value.
        probs = torch.tensor([[0., 1., 0.5]],
                             dtype=torch.float64,
                             requires_grad=True)
        losses = loss_fn(probs, probs, probs, weak_label)
        expected_global = (-math.log(1e-7) - math.log(1e-7) -
                           math.log(0.5)) / 3
        self.assertAlmostEqual(
            losses['loss_global'].item(), expected_global, places=9)
        self.assertTrue(all(torch.isfinite(value) for value in losses.values()))
        sum(losses.values()).backward()
        self.assertEqual(probs.grad[0, 0].item(), 0)
        self.assertEqual(probs.grad[0, 1].item(), 0)
        self.assertNotEqual(probs.grad[0, 2].item(), 0)

    def test_smoothing_options(self):
        loss_fn = MODELS.build(
            dict(
                type='MMILBCELoss', audio_confidence=0.8,
                visual_confidence=1.0))
        weak_label = torch.tensor([[1., 0.]], dtype=torch.float64)
        probs = torch.tensor([[0.9, 0.2]], dtype=torch.float64)
        losses = loss_fn(probs, probs, probs, weak_label)
        self.assertAlmostEqual(
            losses['loss_audio'].item(),
            (_bce(0.9, 0.9) + _bce(0.2, 0.1)) / 2,
            places=12)
        torch.testing.assert_close(losses['loss_visual'],
                                   losses['loss_global'])
