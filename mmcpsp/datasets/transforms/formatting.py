from typing import Sequence

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS
from mmcpsp.structures import GT_SEGMENT_LABELS, GT_VIDEO_LABEL


@TRANSFORMS.register_module()
class PackAVELInputs(BaseTransform):
    """Pack audio-visual features and per-segment labels for the model.

    Required keys: ``audio`` (array or tensor [T, Ca]) and ``visual``
    (array or tensor [T, H, W, Cv], channels last). Optional keys:
    ``segment_labels`` (int array [T], background = C) goes to
    ``gt_segment_labels`` and ``video_label`` (int) to ``gt_video_label``
    of the data sample.

    Args:
        meta_keys (Sequence[str]): Keys of ``results`` copied into the
            metainfo of the data sample when present. Defaults to
            ``('sample_idx', 'video_id', 'num_classes')``.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'video_id',
                                             'num_classes')) -> None:
        self.meta_keys = tuple(meta_keys)

    def pack_data_sample(self, results: dict) -> ActionDataSample:
        """The data sample of ``results``: labels and meta, no features.

        Label tensors are new tensors, so a data sample (and a prediction
        made from it) never shares memory with the dataset or a batch.
        """
        data_sample = ActionDataSample()
        for key, field in (('segment_labels', GT_SEGMENT_LABELS),
                           ('video_label', GT_VIDEO_LABEL)):
            if results.get(key) is not None:
                data_sample.set_field(
                    torch.as_tensor(results[key], dtype=torch.long).clone(),
                    field,
                    dtype=torch.Tensor)
        data_sample.set_metainfo(
            {key: results[key]
             for key in self.meta_keys if key in results})
        return data_sample

    def transform(self, results: dict) -> dict:
        inputs = {
            key: results[key] if isinstance(results[key], torch.Tensor) else
            torch.from_numpy(np.ascontiguousarray(results[key]))
            for key in ('audio', 'visual')
        }
        return dict(
            inputs=inputs, data_samples=self.pack_data_sample(results))

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
