"""What a video parser found in one input: what is heard, seen, and both."""
from dataclasses import dataclass
from typing import (
    Any,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

import numpy as np

from .localization_result import EventInterval, label_runs
from .segment_fields import GT_AUDIO_LABELS, GT_VISUAL_LABELS, PRED_PREFIX

#: The modalities of a parse, in the order of the figures and the JSON.
MODALITIES = ('audio', 'visual', 'audio_visual')
#: Annotated events of one modality: ``(class name, start s, end s)``.
Spans = List[Tuple[str, float, float]]


def labels_from_spans(spans: Sequence[Tuple[str, float, float]],
                      classes: Sequence[str], num_segments: int,
                      segment_seconds: float = 1.0) -> np.ndarray:
    """0/1 labels [N, C] of annotated events: segment t has class c when
    its centre lies in one of the class's ``[start, end)``.

    Raises:
        ValueError: If a class name is not one of ``classes``.
    """
    classes = tuple(classes)
    labels = np.zeros((num_segments, len(classes)), np.int64)
    centres = (np.arange(num_segments) + 0.5) * segment_seconds
    for name, start, end in spans:
        if name not in classes:
            raise ValueError(f'Annotated class {name!r} is not a class of '
                             f'the model ({len(classes)} classes).')
        labels[(centres >= start) & (centres < end), classes.index(name)] = 1
    return labels


@dataclass
class ParsingResult:
    """Audio-visual video parsing of one input of N segments.

    Segment ``k`` covers ``[k * segment_seconds, (k + 1) *
    segment_seconds)``. Per segment and class: whether it is heard
    (``audio_labels``), seen (``visual_labels``) and both
    (:attr:`audio_visual_labels`, their product).

    Attributes:
        video (str): Name of the input.
        classes (tuple[str]): The C class names.
        audio_labels (np.ndarray): int64 0/1 [N, C], heard.
        visual_labels (np.ndarray): int64 0/1 [N, C], seen.
        audio_scores (np.ndarray): float [N, C], the probability that the
            class is heard in the segment.
        visual_scores (np.ndarray): float [N, C], that it is seen.
        duration (float, optional): Length in seconds. Defaults to None,
            meaning N segments.
        gt_audio_labels (np.ndarray, optional): int64 0/1 [N, C].
        gt_visual_labels (np.ndarray, optional): int64 0/1 [N, C].
        segment_seconds (float): Length of a segment. Defaults to 1.0.
        event_threshold (float, optional): The threshold the model's rule
            puts on the probabilities, drawn in figures. Defaults to None.
    """
    #: The task of the heads whose predictions this holds.
    task: ClassVar[str] = 'avvp'
    #: The prediction fields that mark a data sample of this task.
    label_keys: ClassVar[Tuple[str, ...]] = ('audio_labels', 'visual_labels')

    video: str
    classes: Tuple[str, ...]
    audio_labels: np.ndarray
    visual_labels: np.ndarray
    audio_scores: np.ndarray
    visual_scores: np.ndarray
    duration: Optional[float] = None
    gt_audio_labels: Optional[np.ndarray] = None
    gt_visual_labels: Optional[np.ndarray] = None
    segment_seconds: float = 1.0
    event_threshold: Optional[float] = None

    def __post_init__(self) -> None:
        self.classes = tuple(self.classes)
        expected = self.audio_labels.shape[:1] + (len(self.classes), )
        for name in ('audio_labels', 'visual_labels', 'gt_audio_labels',
                     'gt_visual_labels', 'audio_scores', 'visual_scores'):
            value = getattr(self, name)
            if value is None:
                continue
            dtype = np.float64 if name.endswith('scores') else np.int64
            value = np.asarray(value, dtype)
            if value.shape != expected:
                raise ValueError(f'{name} has shape {value.shape}, expected '
                                 f'[N, C] = {expected}.')
            setattr(self, name, value)
        if self.duration is None:
            self.duration = self.num_segments * self.segment_seconds

    @classmethod
    def from_predictions(cls,
                         video: str,
                         classes: Sequence[str],
                         scores: Mapping[str, np.ndarray],
                         labels: Mapping[str, np.ndarray],
                         duration: Optional[float] = None,
                         gt_spans: Optional[Mapping[str, Spans]] = None,
                         attention: Optional[np.ndarray] = None,
                         event_threshold: Optional[float] = None
                         ) -> 'ParsingResult':
        """The result of a parsing head's scores and labels over N segments.

        Args:
            video (str): Name of the input.
            classes (Sequence[str]): The C class names.
            scores (Mapping[str, np.ndarray]): ``audio`` and ``visual``
                [N, C] (the head's per-segment probabilities).
            labels (Mapping[str, np.ndarray]): ``audio_labels`` and
                ``visual_labels`` [N, C].
            duration (float, optional): Length in seconds.
            gt_spans (Mapping[str, list], optional): Annotated events per
                modality, ``{'audio': [(class, start, end), ...],
                'visual': [...]}``. Defaults to None.
            attention (np.ndarray, optional): Unused (parsing models have
                no audio-guided attention).
            event_threshold (float, optional): See the class.
        """
        num_segments = len(labels['audio_labels'])
        gt = {
            modality: labels_from_spans(gt_spans.get(modality, ()), classes,
                                        num_segments)
            for modality in ('audio', 'visual')
        } if gt_spans is not None else {}
        return cls(
            video=video,
            classes=classes,
            audio_labels=labels['audio_labels'],
            visual_labels=labels['visual_labels'],
            audio_scores=scores['audio'],
            visual_scores=scores['visual'],
            duration=duration,
            gt_audio_labels=gt.get('audio'),
            gt_visual_labels=gt.get('visual'),
            event_threshold=event_threshold)

    @classmethod
    def from_data_sample(cls,
                         name: str,
                         data_sample: Mapping,
                         classes: Sequence[str],
                         draw_gt: bool = True,
                         event_threshold: Optional[float] = None
                         ) -> 'ParsingResult':
        """The result of a predicted data sample (``pred_audio``,
        ``pred_visual``, ``pred_audio_labels``, ``pred_visual_labels`` and,
        with ``draw_gt``, the dense ground truth when it has it)."""

        def array(field: str) -> Optional[np.ndarray]:
            value = data_sample.get(field)
            return None if value is None else np.asarray(
                value.float().cpu() if hasattr(value, 'cpu') else value)

        return cls(
            video=name,
            classes=classes,
            audio_labels=array(PRED_PREFIX + 'audio_labels'),
            visual_labels=array(PRED_PREFIX + 'visual_labels'),
            audio_scores=array(PRED_PREFIX + 'audio'),
            visual_scores=array(PRED_PREFIX + 'visual'),
            gt_audio_labels=array(GT_AUDIO_LABELS) if draw_gt else None,
            gt_visual_labels=array(GT_VISUAL_LABELS) if draw_gt else None,
            event_threshold=event_threshold)

    @property
    def num_segments(self) -> int:
        """N, the number of segments."""
        return int(self.audio_labels.shape[0])

    @property
    def num_classes(self) -> int:
        """C, the number of classes."""
        return len(self.classes)

    @property
    def audio_visual_labels(self) -> np.ndarray:
        """int64 0/1 [N, C]: heard and seen."""
        return self.audio_labels * self.visual_labels

    def labels_of(self, modality: str, gt: bool = False
                  ) -> Optional[np.ndarray]:
        """The labels [N, C] of a modality (``'audio'``, ``'visual'``,
        ``'audio_visual'``), predicted or, with ``gt``, annotated."""
        prefix = 'gt_' if gt else ''
        if modality == 'audio_visual':
            audio = getattr(self, f'{prefix}audio_labels')
            visual = getattr(self, f'{prefix}visual_labels')
            return None if audio is None or visual is None else \
                audio * visual
        return getattr(self, f'{prefix}{modality}_labels')

    def scores_of(self, modality: str) -> np.ndarray:
        """The probabilities [N, C] of a modality; for ``'audio_visual'``
        the smaller of the two (both must hold)."""
        if modality == 'audio_visual':
            return np.minimum(self.audio_scores, self.visual_scores)
        return getattr(self, f'{modality}_scores')

    def segment_span(self, index: int) -> Tuple[float, float]:
        """Start and end (exclusive) in seconds of segment ``index``."""
        return (index * self.segment_seconds,
                (index + 1) * self.segment_seconds)

    def intervals(self, modality: str,
                  labels: Optional[np.ndarray] = None
                  ) -> List[EventInterval]:
        """The events of a modality: maximal runs of a class's segments,
        in time order, then by class.

        Args:
            modality (str): ``'audio'``, ``'visual'`` or
                ``'audio_visual'``.
            labels (np.ndarray, optional): Labels [N, C] to merge.
                Defaults to None, meaning the predicted ones.

        Returns:
            list[EventInterval]: One per run; its score is the mean
            probability (:meth:`scores_of`) of its segments.
        """
        labels = self.labels_of(modality) if labels is None else labels
        scores = self.scores_of(modality)
        events = [
            EventInterval(
                start=self.segment_span(start)[0],
                end=self.segment_span(stop - 1)[1],
                label=self.classes[index],
                class_index=index,
                score=float(scores[start:stop, index].mean()))
            for index in range(self.num_classes)
            for start, stop, value in label_runs(labels[:, index])
            if value
        ]
        return sorted(events, key=lambda event: (event.start, event.class_index))

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form written by ``demo/demo_avel.py``.

        Returns:
            dict: ``video``, ``duration``, ``segments`` (per segment
            ``start``, ``end`` and the class names ``audio``, ``visual``
            and ``audio_visual``) and ``audio_events``, ``visual_events``,
            ``audio_visual_events`` (``start``, ``end``, ``label``,
            ``score`` per event).
        """
        segments = []
        for index in range(self.num_segments):
            start, end = self.segment_span(index)
            segment = dict(start=start, end=end)
            for modality in MODALITIES:
                row = self.labels_of(modality)[index]
                segment[modality] = [
                    self.classes[column] for column in np.flatnonzero(row)
                ]
            segments.append(segment)
        result = dict(
            video=self.video,
            duration=round(float(self.duration), 3),
            segments=segments)
        for modality in MODALITIES:
            result[f'{modality}_events'] = [
                dict(start=event.start, end=event.end, label=event.label,
                     score=round(event.score, 6))
                for event in self.intervals(modality)
            ]
        return result

    def summary(self) -> str:
        """One line per event and modality, for the console."""
        lines = [f'{self.video}: {self.duration:.1f} s']
        for modality in MODALITIES:
            events = self.intervals(modality)
            lines.append(f'  {modality.replace("_", "-")}: '
                         f'{len(events)} event(s)')
            lines += [
                f'    {event.start:7.1f} - {event.end:7.1f} s  '
                f'{event.label}  (score {event.score:.2f})'
                for event in events
            ]
        return '\n'.join(lines)
