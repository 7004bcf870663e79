import math
from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample
from mmengine.evaluator import Evaluator

from mmcpsp.registry import METRICS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    PRED_CATEGORY_SCORES,
    PRED_SEGMENT_LABELS,
)

NUM_CLASSES = 3  # background = 3


def _sample(pred, gt, **metainfo):
    sample = ActionDataSample()
    sample.set_field(torch.tensor(pred), PRED_SEGMENT_LABELS,
                     dtype=torch.Tensor)
    sample.set_field(torch.tensor(gt), GT_SEGMENT_LABELS, dtype=torch.Tensor)
    sample.set_field(
        torch.full((NUM_CLASSES, ), 1 / NUM_CLASSES), PRED_CATEGORY_SCORES,
        dtype=torch.Tensor)
    sample.set_metainfo(metainfo)
    return sample


# Batch 1: 2 videos of 4 segments; batch 2: 1 video of 4 segments.
BATCHES = [
    [
        # 3 / 4 correct: events 2 / 2, background 1 / 2.
        _sample([3, 1, 1, 1], [3, 1, 1, 3]),
        # 4 / 4 correct, all background.
        _sample([3, 3, 3, 3], [3, 3, 3, 3]),
    ],
    [
        # 1 / 4 correct: events 0 / 3, background 1 / 1.
        _sample([2, 3, 3, 3], [0, 0, 0, 3]),
    ],
]


class TestAVELSegmentAccuracy(TestCase):

    def test_accumulates_over_the_split(self):
        metric = METRICS.build(
            dict(type='AVELSegmentAccuracy', num_classes=NUM_CLASSES))
        for batch in BATCHES:
            metric.process(None, [sample.to_dict() for sample in batch])
        results = metric.evaluate(size=3)
        # 8 of 12 segments: not the mean of the per-batch 7/8 and 1/4.
        self.assertAlmostEqual(results['avel/segment_acc'], 100 * 8 / 12)
        self.assertAlmostEqual(results['avel/event_acc'], 100 * 2 / 5)
        self.assertAlmostEqual(results['avel/background_acc'], 100 * 6 / 7)

    def test_through_the_evaluator_with_data_samples(self):
        evaluator = Evaluator(
            METRICS.build(
                dict(type='AVELSegmentAccuracy', num_classes=NUM_CLASSES)))
        for batch in BATCHES:
            evaluator.process(data_samples=batch, data_batch=None)
        results = evaluator.evaluate(size=3)
        self.assertEqual(
            set(results),
            {'avel/segment_acc', 'avel/event_acc', 'avel/background_acc'})
        self.assertAlmostEqual(results['avel/segment_acc'], 100 * 8 / 12)

    def test_background_index_without_num_classes(self):
        # From the num_classes metainfo, else from the category scores.
        for metainfo in (dict(num_classes=NUM_CLASSES), dict()):
            metric = METRICS.build(dict(type='AVELSegmentAccuracy'))
            metric.process(None, [
                _sample([3, 1, 1, 1], [3, 1, 1, 3], **metainfo).to_dict()
            ])
            results = metric.evaluate(size=1)
            self.assertAlmostEqual(results['avel/event_acc'], 100.)
            self.assertAlmostEqual(results['avel/background_acc'], 50.)

    def test_split_without_events(self):
        metric = METRICS.build(
            dict(type='AVELSegmentAccuracy', num_classes=NUM_CLASSES))
        metric.process(None, [_sample([3, 3], [3, 3]).to_dict()])
        results = metric.evaluate(size=1)
        self.assertEqual(results['avel/segment_acc'], 100.)
        self.assertTrue(math.isnan(results['avel/event_acc']))

    def test_shape_mismatch_and_missing_labels(self):
        metric = METRICS.build(
            dict(type='AVELSegmentAccuracy', num_classes=NUM_CLASSES))
        with self.assertRaisesRegex(ValueError, 'differ'):
            metric.process(None, [_sample([3, 3], [3, 3, 3]).to_dict()])
        sample = _sample([3], [3]).to_dict()
        del sample[GT_SEGMENT_LABELS]
        with self.assertRaisesRegex(KeyError, GT_SEGMENT_LABELS):
            metric.process(None, [sample])
