import math
from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


def _logsumexp(values):
    return math.log(sum(math.exp(value) for value in values))


class TestSSPSPLoss(TestCase):

    def test_defaults(self):
        loss_fn = MODELS.build(dict(type='SSPSPLoss'))
        self.assertEqual((loss_fn.loss_weight, loss_fn.tau), (1., 0.1))

    def test_hand_computed(self):
        loss_fn = MODELS.build(dict(type='SSPSPLoss', tau=0.5))
        audio_out = torch.tensor([[[2., 0.], [0., 1.]]], dtype=torch.float64)
        visual_out = torch.tensor([[[1., 0.], [1., 1.]]], dtype=torch.float64)
        # Normalised: a = [1, 0], [0, 1]; v = [1, 0], [1, 1] / sqrt(2).
        # Logits / 0.5: row 0 = [2, sqrt(2)], row 1 = [0, sqrt(2)].
        root2 = math.sqrt(2)
        expected = (-(2 - _logsumexp([2, root2])) -
                    (root2 - _logsumexp([0, root2]))) / 2
        self.assertAlmostEqual(
            loss_fn(audio_out, visual_out).item(), expected, places=14)

    def test_every_segment_of_the_batch_is_a_negative(self):
        loss_fn = MODELS.build(dict(type='SSPSPLoss', tau=1., loss_weight=2.))
        audio_out = torch.tensor([[[1., 0.]], [[0., 1.]]], dtype=torch.float64)
        visual_out = torch.tensor([[[1., 0.]], [[1., 0.]]],
                                  dtype=torch.float64)
        # N = 2 rows across two videos: logits [[1, 1], [0, 0]].
        expected = 2 * (-(1 - _logsumexp([1, 1])) -
                        (0 - _logsumexp([0, 0]))) / 2
        self.assertAlmostEqual(
            loss_fn(audio_out, visual_out).item(), expected, places=14)
