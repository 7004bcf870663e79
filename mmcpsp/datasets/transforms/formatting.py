from typing import Sequence

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    GT_VIDEO_LABEL,
    GT_VIDEO_PROB_LABEL,
)


@TRANSFORMS.register_module()
class PackAVELInputs(BaseTransform):
    """Pack audio-visual features and per-segment labels for the model.

    Required keys: ``audio`` (array [T, 128]) and ``visual`` (array
    [T, H, W, Cv], channels last). Optional keys: ``segment_labels`` (int
    array [T], background = C) goes to ``gt_segment_labels`` and
    ``video_label`` (int) to ``gt_video_label`` and ``video_prob_label``
    (float array [C + 1]) to ``gt_video_prob_label`` of the data sample.

    Args:
        meta_keys (Sequence[str]): Keys of ``results`` copied into the
            metainfo of the data sample when present. Defaults to
            ``('sample_idx', 'video_id', 'num_classes')``.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'video_id',
                                             'num_classes')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        inputs = {
            key: torch.from_numpy(np.ascontiguousarray(results[key]))
            for key in ('audio', 'visual')
        }
        data_sample = ActionDataSample()
        if results.get('segment_labels') is not None:
            data_sample.set_field(
                torch.as_tensor(results['segment_labels'], dtype=torch.long),
                GT_SEGMENT_LABELS,
                dtype=torch.Tensor)
        if results.get('video_label') is not None:
            data_sample.set_field(
                torch.as_tensor(results['video_label'], dtype=torch.long),
                GT_VIDEO_LABEL,
                dtype=torch.Tensor)
        if results.get('video_prob_label') is not None:
            data_sample.set_field(
                torch.as_tensor(results['video_prob_label']),
                GT_VIDEO_PROB_LABEL,
                dtype=torch.Tensor)
        data_sample.set_metainfo(
            {key: results[key]
             for key in self.meta_keys if key in results})
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
