"""Per-segment fields carried by ``ActionDataSample`` in mmcpsp.

``gt_label`` is not used: MMAction2 reads it as a (multi-)label of the clip.
Labels are class indices, with background = C (the number of event classes).
"""
from typing import List, Optional, Sequence

import torch
from mmaction.structures import ActionDataSample

#: LongTensor [T], class index per segment, background = C.
GT_SEGMENT_LABELS = 'gt_segment_labels'
#: LongTensor [] (0-d), video class index (weakly supervised training).
GT_VIDEO_LABEL = 'gt_video_label'
#: Tensor [C + 1], normalised weak label: the share of the video's event
#: segments in its class column and of its background segments in column C
#: (prob_label.h5; weakly supervised training of the CVPR 2021 PSP).
GT_VIDEO_PROB_LABEL = 'gt_video_prob_label'
#: LongTensor [T], predicted class index per segment, background = C.
PRED_SEGMENT_LABELS = 'pred_segment_labels'
#: Tensor [T], sigmoid of the event logits.
PRED_EVENT_SCORES = 'pred_event_scores'
#: Tensor [C], softmax of the category logits.
PRED_CATEGORY_SCORES = 'pred_category_scores'
#: Key of a collated batch holding the label fields of its data samples as
#: stacked tensors (field name -> [B, ...]); see ``avel_collate``.
BATCH_LABELS = 'labels'


def stack_segment_labels(
        data_samples: Sequence[ActionDataSample]) -> Optional[torch.Tensor]:
    """Stack ``gt_segment_labels`` of a batch into a LongTensor [B, T].

    Returns None when any sample lacks them (weakly supervised training).
    """
    if not data_samples or not all(
            GT_SEGMENT_LABELS in sample for sample in data_samples):
        return None
    return torch.stack(
        [sample.get(GT_SEGMENT_LABELS).long() for sample in data_samples])


def stack_video_labels(
        data_samples: Sequence[ActionDataSample]) -> Optional[torch.Tensor]:
    """Stack ``gt_video_label`` of a batch into a LongTensor [B].

    Returns None when any sample lacks it.
    """
    if not data_samples or not all(
            GT_VIDEO_LABEL in sample for sample in data_samples):
        return None
    return torch.stack([
        torch.as_tensor(sample.get(GT_VIDEO_LABEL)).long().reshape(())
        for sample in data_samples
    ])


def stack_video_prob_labels(
        data_samples: Sequence[ActionDataSample]) -> Optional[torch.Tensor]:
    """Stack ``gt_video_prob_label`` of a batch into a Tensor [B, C + 1].

    Returns None when any sample lacks it.
    """
    if not data_samples or not all(
            GT_VIDEO_PROB_LABEL in sample for sample in data_samples):
        return None
    return torch.stack(
        [torch.as_tensor(sample.get(GT_VIDEO_PROB_LABEL))
         for sample in data_samples])


def attach_predictions(data_samples: Optional[Sequence[ActionDataSample]],
                       segment_labels: torch.Tensor,
                       event_scores: torch.Tensor,
                       category_scores: torch.Tensor
                       ) -> List[ActionDataSample]:
    """Set the per-segment predictions of a batch on its data samples.

    Each sample gets tensors of its own: a row view would keep (and pickle)
    the storage of the whole batch for as long as the prediction is held.

    Args:
        data_samples (Sequence[ActionDataSample], optional): Samples of the
            batch, which keep their other fields; None makes new ones.
        segment_labels (torch.Tensor): Class per segment [B, T], long,
            background = C.
        event_scores (torch.Tensor): Event probability per segment [B, T].
        category_scores (torch.Tensor): Class probabilities [B, C].

    Returns:
        list[ActionDataSample]: The samples, with ``pred_segment_labels``,
        ``pred_event_scores`` and ``pred_category_scores``.
    """
    if data_samples is None:
        data_samples = [
            ActionDataSample() for _ in range(segment_labels.shape[0])
        ]
    for data_sample, labels, event_probs, category_probs in zip(
            data_samples, segment_labels, event_scores, category_scores):
        data_sample.set_field(
            labels.clone(), PRED_SEGMENT_LABELS, dtype=torch.Tensor)
        data_sample.set_field(
            event_probs.clone(), PRED_EVENT_SCORES, dtype=torch.Tensor)
        data_sample.set_field(
            category_probs.clone(), PRED_CATEGORY_SCORES, dtype=torch.Tensor)
    return list(data_samples)
