import numpy as np
import pytest

from mmcpsp.structures import EventInterval, LocalizationResult
from mmcpsp.testing.localization import assert_consistent_result

CLASSES = ('Bark', 'Cat')


def result(labels, scores, category_scores=None, cls=LocalizationResult):
    return cls('clip', CLASSES, np.array(labels), np.array(scores),
               category_scores=category_scores)


def test_a_consistent_result_passes():
    categories = np.array([[0.2, 0.8]] * 3 + [[0.9, 0.1]] * 2)
    assert_consistent_result(
        result([2, 1, 1, 0, 2], [0.1, 0.9, 0.7, 0.6, 0.4], categories))


def test_labels_must_follow_the_threshold():
    with pytest.raises(AssertionError, match='above 0.5'):
        assert_consistent_result(result([2, 1], [0.7, 0.9]))
    assert_consistent_result(result([2, 1], [0.7, 0.9]), threshold=0.8)


def test_event_labels_are_the_best_category():
    categories = np.array([[0.6, 0.4], [0.6, 0.4]])
    with pytest.raises(AssertionError, match='best category'):
        assert_consistent_result(result([1, 1], [0.9, 0.9], categories))


def test_events_must_be_maximal_runs():

    class SplitEvents(LocalizationResult):

        def intervals(self, labels=None):
            return [EventInterval(0.0, 1.0, 'Cat', 1, 0.9),
                    EventInterval(1.0, 2.0, 'Cat', 1, 0.9)]

    with pytest.raises(AssertionError, match='same class'):
        assert_consistent_result(
            result([1, 1], [0.9, 0.9], cls=SplitEvents))

    class MissingEvent(LocalizationResult):

        def intervals(self, labels=None):
            return []

    with pytest.raises(AssertionError, match='do not cover'):
        assert_consistent_result(
            result([1, 2], [0.9, 0.1], cls=MissingEvent))
