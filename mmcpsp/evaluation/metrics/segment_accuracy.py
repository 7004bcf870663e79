from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmcpsp.registry import METRICS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    PRED_CATEGORY_SCORES,
    PRED_SEGMENT_LABELS,
)

_COUNTS = ('num_correct', 'num_segments', 'num_correct_event',
           'num_event_segments', 'num_correct_background',
           'num_background_segments')


def _labels(data_sample: Mapping[str, Any], name: str) -> torch.Tensor:
    labels = data_sample.get(name)
    if labels is None:
        raise KeyError(f'AVELSegmentAccuracy needs {name} in every sample.')
    return torch.as_tensor(labels).cpu().long()


def _percentage(numerator: int, denominator: int) -> float:
    if denominator == 0:
        return float('nan')
    return 100.0 * numerator / denominator


@METRICS.register_module()
class AVELSegmentAccuracy(BaseMetric):
    """Segment accuracy of audio-visual event localization.

    Over every segment of every video of the split: ``segment_acc`` =
    100 * correct segments / segments, ``event_acc`` the same over the
    segments whose true label is an event class and ``background_acc`` over
    the background segments (NaN when the split has none). Counts are
    accumulated per video, so the result is over the whole split, not
    averaged per batch, and is gathered correctly across ranks.

    Args:
        num_classes (int, optional): Number of event classes C, the
            background index. Defaults to None, meaning the ``num_classes``
            metainfo of each sample or else the length of its
            ``pred_category_scores``.
        collect_device (str): Device to gather results across ranks on,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None, meaning ``'avel'``.
    """

    default_prefix: Optional[str] = 'avel'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes

    def _background_index(self, data_sample: Mapping[str, Any]) -> int:
        if self.num_classes is not None:
            return self.num_classes
        if data_sample.get('num_classes') is not None:
            return int(data_sample.get('num_classes'))
        category_scores = data_sample.get(PRED_CATEGORY_SCORES)
        return torch.as_tensor(category_scores).numel()

    def process(self, data_batch: Any,
                data_samples: Sequence[Mapping[str, Any]]) -> None:
        """Count the correct segments of every video of a batch.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[Mapping]): Predictions of the model, as
                dicts (or data samples), each with ``pred_segment_labels``
                [T] and ``gt_segment_labels`` [T].
        """
        for data_sample in data_samples:
            pred_labels = _labels(data_sample, PRED_SEGMENT_LABELS)
            gt_labels = _labels(data_sample, GT_SEGMENT_LABELS)
            if pred_labels.shape != gt_labels.shape:
                raise ValueError(
                    f'{PRED_SEGMENT_LABELS} {list(pred_labels.shape)} and '
                    f'{GT_SEGMENT_LABELS} {list(gt_labels.shape)} differ '
                    'in shape.')
            correct = pred_labels == gt_labels
            is_background = gt_labels == self._background_index(data_sample)
            self.results.append(
                dict(
                    num_correct=int(correct.sum()),
                    num_segments=correct.numel(),
                    num_correct_event=int(correct[~is_background].sum()),
                    num_event_segments=int((~is_background).sum()),
                    num_correct_background=int(correct[is_background].sum()),
                    num_background_segments=int(is_background.sum())))

    def compute_metrics(self, results: List[Dict[str, int]]) -> dict:
        """Accumulate the counts of all videos.

        Args:
            results (list[dict]): Counts of each video of the split.

        Returns:
            dict[str, float]: ``segment_acc``, ``event_acc`` and
            ``background_acc``, in percent.
        """
        totals = {
            name: sum(result[name] for result in results)
            for name in _COUNTS
        }
        return dict(
            segment_acc=_percentage(totals['num_correct'],
                                    totals['num_segments']),
            event_acc=_percentage(totals['num_correct_event'],
                                  totals['num_event_segments']),
            background_acc=_percentage(totals['num_correct_background'],
                                       totals['num_background_segments']))
