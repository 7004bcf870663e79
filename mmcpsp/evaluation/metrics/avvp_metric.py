from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmcpsp.registry import METRICS
from mmcpsp.structures import (
    GT_AUDIO_LABELS,
    GT_VISUAL_LABELS,
    PRED_PREFIX,
    predictions_of,
)

#: The video-level probability that filters each modality, per convention.
_FILTER_SCORES = {
    'modality': ('audio_global', 'visual_global'),
    'global': ('global', 'global'),
}
#: Modalities along axis 1 of the counts: audio, visual, audio-visual.
_MODALITIES = ('audio', 'visual', 'audio_visual')
#: Fields written back into every sample: the labels that were scored.
PRED_AUDIO_LABELS = PRED_PREFIX + 'audio_labels'
PRED_VISUAL_LABELS = PRED_PREFIX + 'visual_labels'


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        # numpy has no bfloat16; float32 holds every bfloat16 exactly.
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.numpy()
    return np.asarray(value)


def _gt_labels(data_sample: dict, key: str, shape: tuple) -> np.ndarray:
    labels = data_sample.get(key)
    if labels is None:
        raise KeyError(f'AVVPMetric needs {key} in every sample.')
    labels = _to_numpy(labels)
    if labels.shape != shape:
        raise ValueError(f'{key} is {list(labels.shape)}, the predictions '
                         f'{list(shape)}.')
    if ((labels != 0) & (labels != 1)).any():
        raise ValueError(f'{key} holds values other than 0 and 1.')
    return labels != 0


def _counts(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Segment-level TP, FP, FN per class.

    Args:
        pred (np.ndarray): Binarised predictions, bool [..., T, C].
        gt (np.ndarray): Ground truth, bool [..., T, C].

    Returns:
        np.ndarray: int64 [..., 3, C] (TP, FP, FN).
    """
    return np.stack([(pred & gt).sum(-2), (pred & ~gt).sum(-2),
                     (~pred & gt).sum(-2)], axis=-2)


def _runs(rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The maximal runs of 1s of every row (the events of a class).

    Args:
        rows (np.ndarray): bool [R, T].

    Returns:
        tuple[np.ndarray]: ``starts`` and ``ends`` (inclusive), int64
        [R, K] with K = ceil(T / 2), the most runs a row can hold, in
        temporal order; and ``valid`` bool [R, K], False past a row's
        last run (where start and end are 0).
    """
    num_rows, num_segments = rows.shape
    padded = np.zeros((num_rows, num_segments + 2), dtype=bool)
    padded[:, 1:-1] = rows
    # [2, R, T]: a run starts after a 0 and ends before a 0.
    is_bound = np.stack([rows & ~padded[:, :-2], rows & ~padded[:, 2:]])
    run_index = np.cumsum(is_bound, axis=2) - 1
    kind, row_ids, segment_ids = np.nonzero(is_bound)
    bounds = np.zeros((2, num_rows, (num_segments + 1) // 2), dtype=np.int64)
    bounds[kind, row_ids, run_index[kind, row_ids, segment_ids]] = segment_ids
    valid = np.arange(bounds.shape[2]) < run_index[0, :, -1:] + 1
    return bounds[0], bounds[1], valid


def _event_counts(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Event-level TP, FP, FN per class (spec 9.3).

    A predicted event is a TP when some GT event of its class overlaps it
    by at least half of their union (segment counts, ``|p & g| >= 0.5
    |p | g|``), else an FP; a GT event that no predicted event overlaps
    so is an FN.

    Args:
        pred (np.ndarray): Binarised predictions, bool [..., T, C].
        gt (np.ndarray): Ground truth, bool [..., T, C].

    Returns:
        np.ndarray: int64 [..., 3, C] (TP, FP, FN).
    """
    # [..., C, T] rows; only those with an event somewhere need matching
    # (most classes of an LLP video have none).
    pred_rows = pred.swapaxes(-1, -2)
    gt_rows = gt.swapaxes(-1, -2)
    active = (pred_rows | gt_rows).any(-1)
    starts, ends, valid = _runs(
        np.concatenate([pred_rows[active], gt_rows[active]]))
    lengths = ends - starts + 1
    half = starts.shape[0] // 2
    # [R, K pred, K gt]; negative for disjoint runs.
    overlaps = np.minimum(ends[:half, :, None], ends[half:, None]) - \
        np.maximum(starts[:half, :, None], starts[half:, None]) + 1
    # |p & g| >= 0.5 (|p| + |g| - |p & g|)  <=>  3 |p & g| >= |p| + |g|,
    # exact in integers; false for disjoint runs.
    matched = 3 * overlaps >= lengths[:half, :, None] + lengths[half:, None]
    matched &= valid[:half, :, None] & valid[half:, None]
    true_positives = matched.any(2).sum(1)
    num_events = valid.sum(1)
    counts = np.zeros((*active.shape, 3), dtype=np.int64)
    counts[active] = np.stack([
        true_positives, num_events[:half] - true_positives,
        num_events[half:] - matched.any(1).sum(1)
    ], -1)
    return counts.swapaxes(-1, -2)


def _video_scores(counts: np.ndarray) -> np.ndarray:
    """Per-video score: mean F over the contributing classes (spec 9.2).

    Args:
        counts (np.ndarray): TP, FP, FN per class, [..., 3, C].

    Returns:
        np.ndarray: float64 [...]; 1.0 where no class was predicted or
        annotated.
    """
    true_positives, false_positives, false_negatives = np.moveaxis(
        counts.astype(np.float64), -2, 0)
    denominators = 2 * true_positives + false_positives + false_negatives
    contributes = denominators > 0
    f_scores = np.divide(2 * true_positives, denominators,
                         out=np.zeros_like(denominators), where=contributes)
    num_contributing = contributes.sum(-1)
    return np.where(num_contributing > 0,
                    f_scores.sum(-1) / np.maximum(num_contributing, 1), 1.0)


@METRICS.register_module()
class AVVPMetric(BaseMetric):
    """The ten F-scores of audio-visual video parsing (LLP), in percent.

    Exactly the evaluation of HAN's and CPSP's releases (``utils/
    eval_metrics.py`` and the loop of ``main_avvp.py`` /
    ``main_avvp_psp.py``; spec avvp.md section 9):

    1. Binarisation per video: ``A[t, c] = [p_a[t, c] >= thr] *
       [f_a[c] >= thr]``, ``V`` likewise, ``AV = A * V``, with the filter
       ``f_a, f_v = g_a, g_v`` (``filter_by='modality'``, CPSP) or
       ``g, g`` (``'global'``, HAN).
    2. Per video, class and modality (audio, visual, audio-visual): TP,
       FP, FN over the segments (segment level) or over the events,
       maximal runs of 1s matched at an overlap of half their union
       (event level). Classes predicted or annotated somewhere contribute
       ``F = 2 TP / (2 TP + FP + FN)``; the video's score is their mean,
       1.0 when none contributes. Event@AV pools the audio and visual
       counts of each class before F.
    3. Over the split (every video counts): ``<level>_audio``,
       ``<level>_visual``, ``<level>_audio_visual`` = 100 x the mean of the
       video scores; ``<level>_type`` (Type@AV) = the mean of those three;
       ``<level>_event`` (Event@AV) = 100 x the mean of the pooled scores;
       level in ``segment``, ``event``.

    :meth:`process` SETS the binarised labels of step 1 into every sample
    dict it is given, as ``pred_audio_labels`` and ``pred_visual_labels``
    [T, C] (0/1, int64; a tensor on the device of ``pred_audio`` when that
    is a tensor, else an array), replacing the head's. mmengine's
    ``Evaluator`` passes the same dicts to its later metrics, so the dump
    metric that ``tools/test.py --dump`` appends after this one holds
    exactly the labels that were scored, with this metric's
    ``filter_by``. Per video only the TP, FP, FN counts are kept
    ([2 levels, 3 modalities, 3, C], uint8 for T = 10: 450 bytes), so
    gathering across ranks is cheap.

    Speed (``process`` of torch CPU inputs, then ``compute_metrics``; best
    of 5, ``nice -n 10`` on a shared 2-core AMD EPYC VM): the 1,200 videos
    of the LLP test split in 0.21 s (oracle of avvp.md section 11) to
    0.27 s (uniform random probabilities) in batches of 1, 0.08 s to
    0.17 s in batches of 16.

    Args:
        filter_by (str): Video-level probability that filters the segment
            predictions: ``'modality'`` (g_a for audio, g_v for visual;
            CPSP) or ``'global'`` (g for both; HAN). Defaults to
            ``'modality'``.
        threshold (float): A probability counts as positive when ``>=``
            it, for the segment and the video probabilities. Defaults to
            0.5.
        collect_device (str): Device to gather results across ranks on,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None, meaning ``'avvp'``.
    """

    default_prefix: Optional[str] = 'avvp'

    def __init__(self,
                 filter_by: str = 'modality',
                 threshold: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if filter_by not in _FILTER_SCORES:
            raise ValueError(f'filter_by must be one of '
                             f'{sorted(_FILTER_SCORES)}, not {filter_by!r}.')
        self.filter_by = filter_by
        self.threshold = threshold

    def _binarise(self, data_sample: dict
                  ) -> Tuple[np.ndarray, np.ndarray]:
        """A, V of one video (step 1), bool [T, C] each."""
        audio_filter, visual_filter = _FILTER_SCORES[self.filter_by]
        scores = predictions_of(
            data_sample, ('audio', 'visual', audio_filter, visual_filter))
        audio, visual = (_to_numpy(scores[name]) for name in ('audio',
                                                              'visual'))
        if audio.ndim != 2 or audio.shape != visual.shape:
            raise ValueError(
                f'pred_audio {list(audio.shape)} and pred_visual '
                f'{list(visual.shape)} must both be [T, C].')
        labels = []
        for segment_scores, name in ((audio, audio_filter),
                                     (visual, visual_filter)):
            video_scores = _to_numpy(scores[name])
            if video_scores.shape != segment_scores.shape[1:]:
                raise ValueError(
                    f'{PRED_PREFIX + name} is {list(video_scores.shape)}, '
                    f'not [C] = {list(segment_scores.shape[1:])}.')
            labels.append((segment_scores >= self.threshold)
                          & (video_scores >= self.threshold))
        return labels[0], labels[1]

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Binarise, write back the labels and count TP, FP, FN per video.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): One dict per video (mmengine's
                ``data_sample.to_dict()``) with ``pred_audio``,
                ``pred_visual`` [T, C], ``pred_global``,
                ``pred_audio_global``, ``pred_visual_global`` [C]
                (probabilities), ``gt_audio_labels``, ``gt_visual_labels``
                [T, C] (0/1); tensors on any device or arrays. Each gets
                ``pred_audio_labels`` and ``pred_visual_labels`` [T, C].
        """
        if not data_samples:
            return
        preds, gts = [], []
        for data_sample in data_samples:
            audio_labels, visual_labels = self._binarise(data_sample)
            shape = audio_labels.shape
            preds.append((audio_labels, visual_labels))
            gts.append((_gt_labels(data_sample, GT_AUDIO_LABELS, shape),
                        _gt_labels(data_sample, GT_VISUAL_LABELS, shape)))
            reference = data_sample[PRED_PREFIX + 'audio']
            for key, labels in ((PRED_AUDIO_LABELS, audio_labels),
                                (PRED_VISUAL_LABELS, visual_labels)):
                labels = labels.astype(np.int64)
                if isinstance(reference, torch.Tensor):
                    labels = torch.from_numpy(labels).to(reference.device)
                data_sample[key] = labels
        # [B, 2, T, C] -> [B, 3, T, C] with AV = A * V, GT_av = GT_a * GT_v.
        pred, gt = np.asarray(preds), np.asarray(gts)
        pred = np.concatenate([pred, pred[:, :1] & pred[:, 1:]], axis=1)
        gt = np.concatenate([gt, gt[:, :1] & gt[:, 1:]], axis=1)
        counts = np.stack([_counts(pred, gt), _event_counts(pred, gt)], 1)
        # A count is at most T (segments or runs of a row): one byte for
        # the T = 10 of LLP.
        self.results.extend(
            counts.astype(np.min_scalar_type(pred.shape[-2])))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """The ten split scores from the per-video counts.

        Args:
            results (list[np.ndarray]): TP, FP, FN per video, each
                unsigned [2 (segment, event), 3 (audio, visual,
                audio-visual), 3, C].

        Returns:
            dict[str, float]: ``{segment,event}_{audio,visual,audio_visual,
            type,event}`` in percent (NaN for an empty split).
        """
        names = [
            f'{level}_{name}' for level in ('segment', 'event')
            for name in (*_MODALITIES, 'type', 'event')
        ]
        if not results:
            return dict.fromkeys(names, float('nan'))
        scores = []
        for level_counts in np.moveaxis(np.asarray(results), 1, 0):
            percents = 100 * _video_scores(level_counts).mean(0)
            # The release sums audio-visual, audio, visual in this order.
            type_percent = (percents[2] + percents[0] + percents[1]) / 3.
            pooled = level_counts[:, 0].astype(np.int64) + \
                level_counts[:, 1]
            event_percent = 100 * _video_scores(pooled).mean()
            scores.extend([*percents, type_percent, event_percent])
        return dict(zip(names, map(float, scores)))


def majority_class_scores(data_samples: Sequence[dict],
                          filter_by: str = 'modality') -> Dict[str, float]:
    """The ten scores of the most-frequent-class baseline.

    The class annotated in most segments (heard or seen, over all the
    samples' ground truth) is predicted in every segment of every video,
    heard and seen; it is scored as :class:`AVVPMetric` scores a model.

    Args:
        data_samples (Sequence[dict]): The samples of a split with
            ``gt_audio_labels`` and ``gt_visual_labels`` [T, C], e.g. the
            ``--dump`` of ``tools/test.py``.
        filter_by (str): The convention of :class:`AVVPMetric`.

    Returns:
        dict[str, float]: The scores under ``avvp/...`` keys, in percent.
    """
    if not data_samples:
        raise ValueError('majority_class_scores needs at least one sample.')
    gts = [(_to_numpy(sample[GT_AUDIO_LABELS]),
            _to_numpy(sample[GT_VISUAL_LABELS])) for sample in data_samples]
    frequency = sum(audio.sum(0) + visual.sum(0) for audio, visual in gts)
    majority = np.zeros_like(frequency, dtype=np.float32)
    majority[int(np.argmax(frequency))] = 1
    baseline = []
    for audio, visual in gts:
        segments = np.broadcast_to(majority, audio.shape).copy()
        baseline.append({
            GT_AUDIO_LABELS: audio,
            GT_VISUAL_LABELS: visual,
            **{PRED_PREFIX + name: segments
               for name in ('audio', 'visual')},
            **{PRED_PREFIX + name: majority
               for name in ('global', 'audio_global', 'visual_global')},
        })
    metric = AVVPMetric(filter_by=filter_by)
    metric.process(None, baseline)
    scores = metric.compute_metrics(metric.results)
    return {f'{metric.default_prefix}/{key}': value
            for key, value in scores.items()}
