"""Checks that a result (localization or parse) tells one consistent
story."""
from typing import Optional

import numpy as np

from mmcpsp.structures import (
    BACKGROUND,
    MODALITIES,
    LocalizationResult,
    ParsingResult,
)


def assert_consistent_result(result: LocalizationResult,
                             threshold: Optional[float] = 0.5) -> None:
    """Assert that labels, names, events and scores of a result agree.

    - a segment is an event exactly when its event probability is above
      ``threshold`` (skipped when None), and then its class is the argmax
      of its category probabilities (when the result has them);
    - ``segment_names`` names ``segment_labels`` (``'background'`` for C);
    - the events are the maximal runs of equal event labels: they cover
      exactly the event segments, and no two touching events share a class.

    Args:
        result (LocalizationResult): The result to check.
        threshold (float, optional): The model's event threshold.
            Defaults to 0.5.

    Raises:
        AssertionError: Naming the first disagreement found.
    """
    labels = result.segment_labels
    background = result.num_classes
    is_event = labels != background
    if threshold is not None:
        above = result.event_scores > threshold
        assert np.array_equal(is_event, above), (
            f'events at {np.flatnonzero(is_event).tolist()} but scores above '
            f'{threshold} at {np.flatnonzero(above).tolist()}')
    if result.category_scores is not None:
        best = result.category_scores.argmax(axis=1)
        assert np.array_equal(labels[is_event], best[is_event]), (
            'an event segment is not labelled with its best category')
    expected_names = [
        BACKGROUND if label == background else result.classes[label]
        for label in labels.tolist()
    ]
    assert result.segment_names == expected_names, 'names differ from labels'
    covered = np.full(result.num_segments, background)
    previous = None
    for event in result.events:
        start = int(round(event.start / result.segment_seconds))
        stop = int(round(event.end / result.segment_seconds))
        assert 0 <= start < stop <= result.num_segments, event
        assert result.classes[event.class_index] == event.label, event
        assert np.all(labels[start:stop] == event.class_index), event
        assert np.isclose(event.score,
                          result.event_scores[start:stop].mean()), event
        if previous is not None and previous.end == event.start:
            assert previous.class_index != event.class_index, (
                f'{previous} and {event} touch with the same class')
        covered[start:stop] = event.class_index
        previous = event
    assert np.array_equal(covered, labels), 'events do not cover the events'


def assert_consistent_parse(result: ParsingResult,
                            threshold: Optional[float] = 0.5) -> None:
    """Assert that the labels, events and JSON of a parse agree.

    - labels are 0/1, and a class is heard (seen) in a segment only where
      its audio (visual) probability reaches ``threshold`` (skipped when
      None): the rule's filter may remove more, never add;
    - heard-and-seen is the product of heard and seen;
    - the events of each modality cover exactly its labelled segments,
      one maximal run per event;
    - the JSON's per-segment class lists name the same labels.

    Raises:
        AssertionError: Naming the first disagreement found.
    """
    for modality in ('audio', 'visual'):
        labels = result.labels_of(modality)
        assert set(np.unique(labels).tolist()) <= {0, 1}, modality
        if threshold is not None:
            below = result.scores_of(modality) < threshold
            assert not (labels.astype(bool) & below).any(), (
                f'{modality} labels set where the probability is below '
                f'{threshold}')
    assert np.array_equal(result.labels_of('audio_visual'),
                          result.audio_labels * result.visual_labels)
    data = result.to_dict()
    assert len(data['segments']) == result.num_segments
    for modality in MODALITIES:
        labels = result.labels_of(modality)
        covered = np.zeros_like(labels)
        for event in result.intervals(modality):
            start = int(round(event.start / result.segment_seconds))
            stop = int(round(event.end / result.segment_seconds))
            column = event.class_index
            assert np.all(labels[start:stop, column] == 1), event
            assert start == 0 or labels[start - 1, column] == 0, event
            assert stop == result.num_segments or \
                labels[stop, column] == 0, event
            covered[start:stop, column] = 1
        assert np.array_equal(covered, labels), (
            f'{modality} events do not cover the labels')
        for index, segment in enumerate(data['segments']):
            assert segment[modality] == [
                result.classes[column]
                for column in np.flatnonzero(labels[index])
            ], (modality, index)


def assert_consistent(result, threshold: Optional[float] = 0.5) -> None:
    """:func:`assert_consistent_result` or :func:`assert_consistent_parse`,
    by the result's task."""
    if isinstance(result, ParsingResult):
        assert_consistent_parse(result, threshold)
    else:
        assert_consistent_result(result, threshold)
