"""What a localizer found in one input: per-segment labels and events."""
from dataclasses import dataclass
from typing import (
    Any,
    ClassVar,
    Dict,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

import numpy as np

from .segment_fields import (
    GT_SEGMENT_LABELS,
    PRED_EVENT_SCORES,
    PRED_SEGMENT_LABELS,
)

#: Name of the background class in results, JSON and figures.
BACKGROUND = 'background'


class EventInterval(NamedTuple):
    """A maximal run of segments with the same event class.

    Attributes:
        start (float): Start time in seconds (inclusive).
        end (float): End time in seconds (exclusive).
        label (str): Class name.
        class_index (int): Class index.
        score (float): Mean event probability of the run's segments.
    """
    start: float
    end: float
    label: str
    class_index: int
    score: float


def class_names_of(dataset_meta: Dict[str, Any]) -> Tuple[str, ...]:
    """The C event class names of a dataset's metainfo.

    mmcpsp's datasets list ``classes`` as the C event classes followed by
    ``'background'``; a list without it is taken as the C event classes.
    """
    classes = tuple(dataset_meta['classes'])
    num_classes = dataset_meta.get('num_classes')
    if num_classes is None:
        num_classes = len(classes) - int(classes[-1:] == (BACKGROUND, ))
    return classes[:num_classes]


def generic_class_names(num_classes: int) -> Tuple[str, ...]:
    """``('class 0', 'class 1', ...)``: names of classes nobody named."""
    return tuple(f'class {index}' for index in range(num_classes))


def label_runs(labels: np.ndarray) -> List[Tuple[int, int, int]]:
    """The maximal runs of equal values of a label sequence.

    Args:
        labels (np.ndarray): Class index per segment [N].

    Returns:
        list[tuple[int, int, int]]: ``(start, stop, label)`` per run, in
        order, segments ``start`` to ``stop - 1``.
    """
    labels = np.asarray(labels)
    if labels.size == 0:
        return []
    boundaries = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], boundaries])
    stops = np.concatenate([boundaries, [labels.size]])
    return [(int(start), int(stop), int(labels[start]))
            for start, stop in zip(starts, stops)]


@dataclass
class LocalizationResult:
    """Audio-visual event localization of one input of N segments.

    Segment ``k`` covers ``[k * segment_seconds, (k + 1) *
    segment_seconds)``; class indices run over the C event classes with
    background = C.

    Attributes:
        video (str): Name of the input (file stem or video id).
        classes (tuple[str]): The C event class names.
        segment_labels (np.ndarray): int64 [N], predicted class per segment.
        event_scores (np.ndarray): float [N], event probability per segment.
        category_scores (np.ndarray, optional): float [N, C], category
            probabilities each segment received. Defaults to None.
        duration (float, optional): Length of the input in seconds.
            Defaults to None, meaning N segments.
        gt_segment_labels (np.ndarray, optional): int64 [N], true class per
            segment. Defaults to None.
        attention (np.ndarray, optional): float [N, H, W], audio-guided
            visual attention of each segment over the regions of its
            feature map. Defaults to None.
        segment_seconds (float): Length of a segment. Defaults to 1.0.
        event_threshold (float, optional): The threshold the model's rule
            puts on ``event_scores``, drawn in figures; None when its rule
            has none. Defaults to None.
    """
    #: The task of the heads whose predictions this holds.
    task: ClassVar[str] = 'avel'
    #: The prediction fields that mark a data sample of this task.
    label_keys: ClassVar[Tuple[str, ...]] = ('segment_labels', )

    video: str
    classes: Tuple[str, ...]
    segment_labels: np.ndarray
    event_scores: np.ndarray
    category_scores: Optional[np.ndarray] = None
    duration: Optional[float] = None
    gt_segment_labels: Optional[np.ndarray] = None
    attention: Optional[np.ndarray] = None
    segment_seconds: float = 1.0
    event_threshold: Optional[float] = None

    @classmethod
    def from_predictions(cls,
                         video: str,
                         classes: Sequence[str],
                         scores: Mapping[str, np.ndarray],
                         labels: Mapping[str, np.ndarray],
                         duration: Optional[float] = None,
                         gt_spans: Optional[Sequence[Tuple[str, float,
                                                           float]]] = None,
                         attention: Optional[np.ndarray] = None,
                         event_threshold: Optional[float] = None
                         ) -> 'LocalizationResult':
        """The result of a head's scores and labels over N segments.

        Args:
            video (str): Name of the input.
            classes (Sequence[str]): The C event class names.
            scores (Mapping[str, np.ndarray]): The head's scores per
                segment [N, ...]; ``event_scores`` [N] is drawn,
                ``category_scores`` [N, C] kept when present.
            labels (Mapping[str, np.ndarray]): ``segment_labels`` [N].
            duration (float, optional): Length in seconds. Defaults to
                None (N segments).
            gt_spans (Sequence[tuple[str, float, float]], optional):
                Annotated events ``(class name, start s, end s)``.
                Defaults to None.
            attention (np.ndarray, optional): [N, H, W]. Defaults to None.
            event_threshold (float, optional): See the class. Defaults to
                None.
        """
        segment_labels = labels['segment_labels']
        return cls(
            video=video,
            classes=classes,
            segment_labels=segment_labels,
            event_scores=scores['event_scores'],
            category_scores=scores.get('category_scores'),
            duration=duration,
            gt_segment_labels=None if gt_spans is None else
            gt_labels_from_spans(gt_spans, classes, len(segment_labels)),
            attention=attention,
            event_threshold=event_threshold)

    @classmethod
    def from_data_sample(cls,
                         name: str,
                         data_sample: Mapping,
                         classes: Sequence[str],
                         draw_gt: bool = True,
                         event_threshold: Optional[float] = None
                         ) -> 'LocalizationResult':
        """The result of a predicted data sample (``pred_segment_labels``,
        ``pred_event_scores`` and, with ``draw_gt``, ``gt_segment_labels``
        when it has them)."""
        gt_labels = data_sample.get(GT_SEGMENT_LABELS) if draw_gt else None
        return cls(
            video=name,
            classes=classes,
            segment_labels=np.asarray(
                data_sample.get(PRED_SEGMENT_LABELS).cpu()),
            event_scores=np.asarray(
                data_sample.get(PRED_EVENT_SCORES).float().cpu()),
            gt_segment_labels=None
            if gt_labels is None else np.asarray(gt_labels.cpu()),
            event_threshold=event_threshold)

    def __post_init__(self) -> None:
        self.classes = tuple(self.classes)
        self.segment_labels = np.asarray(self.segment_labels, np.int64)
        self.event_scores = np.asarray(self.event_scores, np.float64)
        num_segments = self.segment_labels.shape[0]
        checks = [('event_scores', self.event_scores, 0)]
        if self.gt_segment_labels is not None:
            self.gt_segment_labels = np.asarray(self.gt_segment_labels,
                                                np.int64)
            checks.append(('gt_segment_labels', self.gt_segment_labels, 0))
        for name, array, axis in checks + [
            ('category_scores', self.category_scores, 0),
            ('attention', self.attention, 0)
        ]:
            if array is not None and array.shape[axis] != num_segments:
                raise ValueError(
                    f'{name} has {array.shape[axis]} segments, '
                    f'segment_labels {num_segments}.')
        for name, labels in (('segment_labels', self.segment_labels),
                             ('gt_segment_labels', self.gt_segment_labels)):
            if labels is not None and labels.size and (
                    labels.min() < 0 or labels.max() > self.num_classes):
                raise ValueError(
                    f'{name} must lie in [0, {self.num_classes}] '
                    f'(background = {self.num_classes}), got '
                    f'[{labels.min()}, {labels.max()}].')
        if self.duration is None:
            self.duration = num_segments * self.segment_seconds

    @property
    def num_segments(self) -> int:
        """N, the number of segments."""
        return int(self.segment_labels.shape[0])

    @property
    def num_classes(self) -> int:
        """C, the number of event classes; also the background index."""
        return len(self.classes)

    def name_of(self, class_index: int) -> str:
        """Class name of an index, ``'background'`` for C."""
        if class_index == self.num_classes:
            return BACKGROUND
        return self.classes[class_index]

    @property
    def segment_names(self) -> List[str]:
        """Predicted class name per segment, ``'background'`` included."""
        return [self.name_of(label) for label in self.segment_labels.tolist()]

    def segment_span(self, index: int) -> Tuple[float, float]:
        """Start and end (exclusive) in seconds of segment ``index``."""
        return (index * self.segment_seconds,
                (index + 1) * self.segment_seconds)

    def intervals(self, labels: Optional[np.ndarray] = None
                  ) -> List[EventInterval]:
        """Maximal runs of equal non-background labels, in time order.

        Args:
            labels (np.ndarray, optional): Labels [N] to merge. Defaults to
                None, meaning the predicted ``segment_labels``.

        Returns:
            list[EventInterval]: One interval per run; its score is the
            mean event probability of its segments.
        """
        labels = self.segment_labels if labels is None else labels
        return [
            EventInterval(
                start=self.segment_span(start)[0],
                end=self.segment_span(stop - 1)[1],
                label=self.name_of(label),
                class_index=label,
                score=float(self.event_scores[start:stop].mean()))
            for start, stop, label in label_runs(labels)
            if label != self.num_classes
        ]

    @property
    def events(self) -> List[EventInterval]:
        """The predicted events (see :meth:`intervals`)."""
        return self.intervals()

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form written by ``demo/demo_avel.py``.

        Returns:
            dict: ``video``, ``duration``, ``segments`` (``start``, ``end``,
            ``label``, ``event_score`` per segment) and ``events``
            (``start``, ``end``, ``label``, ``score`` per event).
        """
        segments = [
            dict(
                start=start,
                end=end,
                label=name,
                event_score=round(float(score), 6))
            for (start, end), name, score in zip(
                map(self.segment_span, range(self.num_segments)),
                self.segment_names, self.event_scores.tolist())
        ]
        events = [
            dict(
                start=event.start,
                end=event.end,
                label=event.label,
                score=round(event.score, 6)) for event in self.events
        ]
        return dict(
            video=self.video,
            duration=round(float(self.duration), 3),
            segments=segments,
            events=events)

    def summary(self) -> str:
        """One line per event, for the console."""
        if not self.events:
            return f'{self.video}: no event in {self.duration:.1f} s'
        lines = [f'{self.video}: {len(self.events)} event(s) in '
                 f'{self.duration:.1f} s']
        lines += [
            f'  {event.start:7.1f} - {event.end:7.1f} s  {event.label}  '
            f'(score {event.score:.2f})' for event in self.events
        ]
        return '\n'.join(lines)


def gt_labels_from_spans(spans: Sequence[Tuple[str, float, float]],
                         classes: Sequence[str], num_segments: int,
                         segment_seconds: float = 1.0) -> np.ndarray:
    """Segment labels of annotated events ``(class name, start, end)``.

    A segment belongs to an event when its centre lies in ``[start, end)``;
    others are background (C).

    Args:
        spans (Sequence[tuple[str, float, float]]): Events in seconds.
        classes (Sequence[str]): The C event class names.
        num_segments (int): N.
        segment_seconds (float): Length of a segment. Defaults to 1.0.

    Returns:
        np.ndarray: int64 [N], background = C.

    Raises:
        ValueError: If a class name is not one of ``classes``.
    """
    classes = tuple(classes)
    labels = np.full(num_segments, len(classes), np.int64)
    centres = (np.arange(num_segments) + 0.5) * segment_seconds
    for name, start, end in spans:
        if name not in classes:
            raise ValueError(f'Annotated class {name!r} is not a class of '
                             f'the model ({len(classes)} classes).')
        labels[(centres >= start) & (centres < end)] = classes.index(name)
    return labels
