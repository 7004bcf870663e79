from typing import Dict, List, Sequence

import torch
from torch.utils.data import default_collate

from mmcpsp.registry import FUNCTIONS
from mmcpsp.structures import BATCH_LABELS, GT_SEGMENT_LABELS, GT_VIDEO_LABEL


@FUNCTIONS.register_module()
def avel_collate(data_batch: Sequence[dict]) -> dict:
    """Collate audio-visual samples into a few stacked tensors.

    ``pseudo_collate`` keeps one tensor per sample and field, and a
    DataLoader worker hands every tensor to the main process through its own
    shared-memory segment: three per video, which caps a 2-core machine at a
    few hundred videos per second. Here the features of the batch are
    stacked (directly into shared memory when run in a worker) and the label
    tensors of the data samples are moved into one stacked tensor per field,
    so a batch travels as a handful of tensors.
    :class:`~mmcpsp.models.AVELDataPreprocessor` puts the labels back into
    the data samples.

    Args:
        data_batch (Sequence[dict]): Outputs of ``PackAVELInputs``.

    Returns:
        dict: ``inputs`` (``audio`` [B, T, Ca], ``visual``
        [B, T, H, W, Cv]), ``data_samples`` (list, label fields removed
        where every sample had them) and ``labels`` (``BATCH_LABELS``; field name -> stacked
        tensor, e.g. ``gt_segment_labels`` [B, T], ``gt_video_label`` [B]).
    """
    inputs = {
        name: default_collate([sample['inputs'][name]
                               for sample in data_batch])
        for name in data_batch[0]['inputs']
    }
    data_samples: List = [sample['data_samples'] for sample in data_batch]
    labels: Dict[str, torch.Tensor] = {}
    for field in (GT_SEGMENT_LABELS, GT_VIDEO_LABEL):
        if all(field in sample for sample in data_samples):
            labels[field] = default_collate(
                [sample.pop(field) for sample in data_samples])
    return {'inputs': inputs, 'data_samples': data_samples, BATCH_LABELS: labels}
