import json
from unittest import TestCase

import numpy as np

from mmcpsp.structures import (
    LocalizationResult,
    class_names_of,
    gt_labels_from_spans,
    label_runs,
)

CLASSES = ('Bark', 'Cat', 'Goat')
BG = len(CLASSES)


class TestLabelRuns(TestCase):

    def test_runs(self):
        self.assertEqual(
            label_runs(np.array([3, 3, 0, 0, 0, 3, 1, 1, 0])),
            [(0, 2, 3), (2, 5, 0), (5, 6, 3), (6, 8, 1), (8, 9, 0)])
        self.assertEqual(label_runs(np.array([2])), [(0, 1, 2)])
        self.assertEqual(label_runs(np.array([], np.int64)), [])


class TestClassNamesOf(TestCase):

    def test_background_is_dropped(self):
        meta = dict(classes=CLASSES + ('background', ), num_classes=3)
        self.assertEqual(class_names_of(meta), CLASSES)
        self.assertEqual(
            class_names_of(dict(classes=CLASSES + ('background', ))), CLASSES)
        self.assertEqual(class_names_of(dict(classes=CLASSES)), CLASSES)


class TestLocalizationResult(TestCase):

    def _result(self, **kwargs) -> LocalizationResult:
        labels = np.array([BG, 0, 0, BG, 2, 2, 2, 1])
        scores = np.array([0.1, 0.8, 0.6, 0.2, 0.9, 0.7, 0.8, 0.55])
        return LocalizationResult('clip', CLASSES, labels, scores, **kwargs)

    def test_events_are_maximal_runs_of_event_labels(self):
        result = self._result()
        self.assertEqual(result.segment_names, [
            'background', 'Bark', 'Bark', 'background', 'Goat', 'Goat',
            'Goat', 'Cat'
        ])
        events = [(e.start, e.end, e.label, e.class_index)
                  for e in result.events]
        self.assertEqual(events, [(1.0, 3.0, 'Bark', 0),
                                  (4.0, 7.0, 'Goat', 2), (7.0, 8.0, 'Cat', 1)])
        self.assertAlmostEqual(result.events[0].score, 0.7)
        self.assertAlmostEqual(result.events[1].score, 0.8)

    def test_to_dict_follows_the_schema(self):
        result = self._result(duration=7.6)
        data = json.loads(json.dumps(result.to_dict()))
        self.assertEqual(set(data), {'video', 'duration', 'segments',
                                     'events'})
        self.assertEqual(data['video'], 'clip')
        self.assertEqual(data['duration'], 7.6)
        self.assertEqual(len(data['segments']), 8)
        self.assertEqual(data['segments'][4], dict(
            start=4.0, end=5.0, label='Goat', event_score=0.9))
        self.assertEqual(
            [set(segment) for segment in data['segments']],
            [{'start', 'end', 'label', 'event_score'}] * 8)
        self.assertEqual(data['events'][0], dict(
            start=1.0, end=3.0, label='Bark', score=0.7))
        self.assertEqual(self._result().to_dict()['duration'], 8.0)

    def test_all_background_has_no_event(self):
        result = LocalizationResult('quiet', CLASSES, np.full(4, BG),
                                    np.full(4, 0.1))
        self.assertEqual(result.events, [])
        self.assertIn('no event', result.summary())

    def test_summary_lists_events(self):
        summary = self._result().summary()
        self.assertIn('3 event(s)', summary)
        self.assertIn('Goat', summary)

    def test_rejects_inconsistent_arrays(self):
        with self.assertRaisesRegex(ValueError, 'event_scores'):
            LocalizationResult('x', CLASSES, np.zeros(3), np.zeros(2))
        with self.assertRaisesRegex(ValueError, r'\[0, 3\]'):
            LocalizationResult('x', CLASSES, np.array([0, 4]), np.zeros(2))
        with self.assertRaisesRegex(ValueError, 'gt_segment_labels'):
            LocalizationResult('x', CLASSES, np.zeros(2), np.zeros(2),
                               gt_segment_labels=np.zeros(3))


class TestGtLabelsFromSpans(TestCase):

    def test_segment_centres_inside_spans_get_the_class(self):
        labels = gt_labels_from_spans([('Cat', 2, 5), ('Bark', 7.5, 12)],
                                      CLASSES, 10)
        np.testing.assert_array_equal(labels,
                                      [BG, BG, 1, 1, 1, BG, BG, 0, 0, 0])

    def test_unknown_class(self):
        with self.assertRaisesRegex(ValueError, 'Horse'):
            gt_labels_from_spans([('Horse', 0, 1)], CLASSES, 3)
