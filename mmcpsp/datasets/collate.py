from typing import Dict, List, Sequence, Tuple

import torch
from torch.utils.data import default_collate, get_worker_info

from mmcpsp.registry import FUNCTIONS
from mmcpsp.structures import (
    BATCH_LABELS,
    GT_SEGMENT_LABELS,
    GT_VIDEO_LABEL,
    GT_VIDEO_PROB_LABEL,
)

from .array_pool import ArrayRecycler
from .shared_batch import shared_memory_available, stack_into_shared

#: Outputs of collation in this process (no DataLoader workers), reused
#: once the batch they held is gone.
_OUTPUTS = ArrayRecycler(max_arrays=8)


def _stack(items: List[torch.Tensor], reuse_memory: bool) -> torch.Tensor:
    """``default_collate`` of tensors, stacked into a recycled array."""
    first = items[0]
    if reuse_memory and get_worker_info() is None and all(
            isinstance(item, torch.Tensor) and item.shape == first.shape
            and item.dtype == first.dtype for item in items):
        try:
            dtype = torch.empty(0, dtype=first.dtype).numpy().dtype
        except TypeError:  # no numpy counterpart, e.g. bfloat16
            return default_collate(items)
        out = torch.from_numpy(
            _OUTPUTS.empty((len(items), ) + tuple(first.shape), dtype))
        return torch.stack(items, out=out)
    return default_collate(items)


@FUNCTIONS.register_module()
def avel_collate(data_batch: Sequence[dict],
                 reuse_memory: bool = True) -> dict:
    """Collate audio-visual samples into a few stacked tensors.

    ``pseudo_collate`` keeps one tensor per sample and field, and a
    DataLoader worker hands every tensor to the main process through its own
    shared-memory segment: three per video, which caps a 2-core machine at a
    few hundred videos per second. Here the features of the batch are
    stacked and the label tensors of the data samples are moved into one
    stacked tensor per field, so a batch is a handful of tensors.
    :class:`~mmcpsp.models.AVELDataPreprocessor` puts the labels back into
    the data samples.

    In a DataLoader worker (on Linux) the stacked tensors are written into
    one of the worker's reusable shared-memory slots
    (:mod:`mmcpsp.datasets.shared_batch`) instead of new segments, and the
    main process receives them without a copy. Without workers they are
    stacked into arrays reused once the batch is freed
    (:class:`~mmcpsp.datasets.array_pool.ArrayRecycler`).

    Args:
        data_batch (Sequence[dict]): Outputs of ``PackAVELInputs``.
        reuse_memory (bool): Stack into reused memory as above; False
            collates as ``default_collate`` does (new shared-memory
            segments in a worker). In a config:
            ``collate_fn=dict(type='avel_collate', reuse_memory=False)``.
            Defaults to True.

    Returns:
        dict: ``inputs`` (``audio`` [B, T, Ca], ``visual``
        [B, T, H, W, Cv]), ``data_samples`` (list, label fields removed
        where every sample had them) and ``labels`` (``BATCH_LABELS``;
        field name -> stacked tensor, e.g. ``gt_segment_labels`` [B, T],
        ``gt_video_label`` [B]).
    """
    data_samples: List = [sample['data_samples'] for sample in data_batch]
    tensors: Dict[Tuple[str, str], List[torch.Tensor]] = {
        ('inputs', name): [sample['inputs'][name] for sample in data_batch]
        for name in data_batch[0]['inputs']
    }
    for field in (GT_SEGMENT_LABELS, GT_VIDEO_LABEL, GT_VIDEO_PROB_LABEL):
        if all(field in sample for sample in data_samples):
            tensors[(BATCH_LABELS, field)] = [
                sample.get(field) for sample in data_samples
            ]
    labels = {name for section, name in tensors if section == BATCH_LABELS}
    batch = {'inputs': {}, 'data_samples': data_samples, BATCH_LABELS: {}}
    shared = None
    if (reuse_memory and get_worker_info() is not None
            and shared_memory_available() and all(
            isinstance(item, torch.Tensor) for items in tensors.values()
            for item in items)):
        shared = stack_into_shared(batch, tensors)
    if shared is None:
        for (section, name), items in tensors.items():
            batch[section][name] = _stack(items, reuse_memory)
    for sample in data_samples:
        for field in labels:
            sample.pop(field)
    return batch if shared is None else shared
