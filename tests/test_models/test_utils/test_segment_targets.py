from unittest import TestCase

import torch

from mmcpsp.models.utils import (
    event_mask,
    video_classes_from_segments,
    weak_labels,
)


class TestSegmentTargets(TestCase):

    def test_event_mask(self):
        labels = torch.tensor([[28, 3, 3, 28], [0, 0, 28, 28]])
        self.assertEqual(
            event_mask(labels, 28).tolist(),
            [[False, True, True, False], [True, True, False, False]])

    def test_video_class_of_segments(self):
        labels = torch.tensor([[28, 5, 5, 28], [28, 28, 28, 28],
                               [2, 2, 2, 2]])
        # An all-background video gets class 0.
        self.assertEqual(
            video_classes_from_segments(labels, 28).tolist(), [5, 0, 2])

    def test_weak_labels(self):
        video_labels = torch.tensor([1, 3, 0])
        self.assertEqual(
            weak_labels(video_labels, 3).tolist(),
            [[0, 1, 0], [0, 0, 0], [1, 0, 0]])
