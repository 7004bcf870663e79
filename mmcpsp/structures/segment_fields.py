"""Per-segment fields carried by ``ActionDataSample`` in mmcpsp.

``gt_label`` is not used: MMAction2 reads it as a (multi-)label of the clip.
Labels of event localization are class indices, with background = C (the
number of event classes); labels of video parsing are 0/1 per class.

A head's predictions are set as ``pred_<name>`` for every score and label
its :meth:`~mmcpsp.models.heads.BaseSegmentHead.predict_scores` and
:meth:`~mmcpsp.models.heads.BaseSegmentHead.predict_labels` return.
"""
from typing import Dict, List, Mapping, Optional, Sequence

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
#: Tensor [C], 0/1: the classes occurring in the video, modality and time
#: unknown (the weak label of audio-visual video parsing).
GT_WEAK_LABEL = 'gt_weak_label'
#: Tensor [T, C], 0/1: the classes heard in each segment (dense labels of
#: audio-visual video parsing, val and test splits).
GT_AUDIO_LABELS = 'gt_audio_labels'
#: Tensor [T, C], 0/1: the classes seen in each segment.
GT_VISUAL_LABELS = 'gt_visual_labels'
#: Every label field a dataset may give; ``avel_collate`` stacks them.
GT_FIELDS = (GT_SEGMENT_LABELS, GT_VIDEO_LABEL, GT_VIDEO_PROB_LABEL,
             GT_WEAK_LABEL, GT_AUDIO_LABELS, GT_VISUAL_LABELS)

#: Prefix of the prediction fields a head sets.
PRED_PREFIX = 'pred_'
#: LongTensor [T], predicted class index per segment, background = C.
PRED_SEGMENT_LABELS = 'pred_segment_labels'
#: Tensor [T], event probability per segment.
PRED_EVENT_SCORES = 'pred_event_scores'
#: Tensor [C], softmax of the category logits (CPSP).
PRED_CATEGORY_SCORES = 'pred_category_scores'
#: Key of a collated batch holding the label fields of its data samples as
#: stacked tensors (field name -> [B, ...]); see ``avel_collate``.
BATCH_LABELS = 'labels'


def stack_field(data_samples: Sequence[ActionDataSample],
                field: str,
                dtype: Optional[torch.dtype] = None
                ) -> Optional[torch.Tensor]:
    """Stack one field of a batch of data samples into a tensor [B, ...].

    Args:
        data_samples (Sequence[ActionDataSample]): The batch.
        field (str): The field, e.g. ``gt_segment_labels``.
        dtype (torch.dtype, optional): Cast to it. Defaults to None (as
            stored).

    Returns:
        torch.Tensor | None: The stacked field, or None when any sample
        lacks it (e.g. segment labels in weakly supervised training).
    """
    if not data_samples or not all(field in sample
                                   for sample in data_samples):
        return None
    stacked = torch.stack(
        [torch.as_tensor(sample.get(field)) for sample in data_samples])
    return stacked if dtype is None else stacked.to(dtype)


def attach_predictions(data_samples: Optional[Sequence[ActionDataSample]],
                       predictions: Mapping[str, torch.Tensor]
                       ) -> List[ActionDataSample]:
    """Set the predictions of a batch on its data samples.

    Each sample gets tensors of its own: a row view would keep (and pickle)
    the storage of the whole batch for as long as the prediction is held.

    Args:
        data_samples (Sequence[ActionDataSample], optional): Samples of the
            batch, which keep their other fields; None makes new ones.
        predictions (Mapping[str, torch.Tensor]): Name -> tensor [B, ...];
            each sample receives its row as ``pred_<name>``.

    Returns:
        list[ActionDataSample]: The samples.
    """
    batch_size = next(iter(predictions.values())).shape[0]
    if data_samples is None:
        data_samples = [ActionDataSample() for _ in range(batch_size)]
    for index, data_sample in enumerate(data_samples):
        for name, values in predictions.items():
            data_sample.set_field(
                values[index].clone(), PRED_PREFIX + name,
                dtype=torch.Tensor)
    return list(data_samples)


def predictions_of(data_sample: Mapping, names: Sequence[str]
                   ) -> Dict[str, torch.Tensor]:
    """The ``pred_<name>`` fields of a predicted sample, by name.

    Args:
        data_sample (Mapping | ActionDataSample): A predicted sample, or
            its ``to_dict()``.
        names (Sequence[str]): The names (without ``pred_``).

    Returns:
        dict[str, torch.Tensor]: Name -> tensor.

    Raises:
        KeyError: If the sample lacks one of them.
    """
    found = {}
    for name in names:
        value = data_sample.get(PRED_PREFIX + name)
        if value is None:
            raise KeyError(f'The sample has no {PRED_PREFIX + name}.')
        found[name] = torch.as_tensor(value)
    return found
