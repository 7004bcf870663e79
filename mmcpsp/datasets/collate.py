from typing import Dict, List, Mapping, Sequence, Union

import torch
from torch.utils.data import default_collate

from mmcpsp.registry import FUNCTIONS
from mmcpsp.structures import BATCH_LABELS, GT_FIELDS


@FUNCTIONS.register_module()
def avel_collate(data_batch: Union[Sequence[dict], Mapping]) -> dict:
    """Collate audio-visual samples into a few stacked tensors.

    ``pseudo_collate`` keeps one tensor per sample and field, and a
    DataLoader worker hands every tensor to the main process through its own
    shared-memory segment: three per video, which caps a 2-core machine at a
    few hundred videos per second. Here the features of the batch are
    stacked and the label tensors of the data samples are moved into one
    stacked tensor per field, so a batch is a handful of tensors;
    :class:`~mmcpsp.models.AVELDataPreprocessor` puts the labels back into
    the data samples, each as a tensor of its own.

    A batch that a preloaded dataset gathered already
    (:class:`~mmcpsp.datasets.preload.PreloadedBatch`) is returned as it is.

    Args:
        data_batch (Sequence[dict] | Mapping): Outputs of ``PackAVELInputs``,
            or an already collated batch.

    Returns:
        dict: ``inputs`` (``audio`` [B, T, Ca], ``visual``
        [B, T, H, W, Cv]), ``data_samples`` (list, label fields removed
        where every sample had them) and ``labels`` (``BATCH_LABELS``;
        field name -> stacked tensor, e.g. ``gt_segment_labels`` [B, T],
        ``gt_video_label`` [B]).
    """
    if isinstance(data_batch, Mapping):
        return data_batch
    data_samples: List = [sample['data_samples'] for sample in data_batch]
    inputs = {
        name: default_collate([sample['inputs'][name] for sample in data_batch])
        for name in data_batch[0]['inputs']
    }
    labels: Dict[str, torch.Tensor] = {}
    for field in GT_FIELDS:
        if all(field in sample for sample in data_samples):
            labels[field] = torch.stack(
                [sample.get(field) for sample in data_samples])
            for sample in data_samples:
                sample.pop(field)
    return {'inputs': inputs, 'data_samples': data_samples,
            BATCH_LABELS: labels}
