from typing import Sequence

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS
from mmcpsp.structures import (
    GT_AUDIO_LABELS,
    GT_SEGMENT_LABELS,
    GT_VIDEO_LABEL,
    GT_VIDEO_PROB_LABEL,
    GT_VISUAL_LABELS,
    GT_WEAK_LABEL,
)

#: Keys of ``results`` packed as label fields: key -> (field, dtype).
LABEL_KEYS = dict(
    segment_labels=(GT_SEGMENT_LABELS, torch.long),
    video_label=(GT_VIDEO_LABEL, torch.long),
    video_prob_label=(GT_VIDEO_PROB_LABEL, None),
    weak_label=(GT_WEAK_LABEL, None),
    audio_labels=(GT_AUDIO_LABELS, None),
    visual_labels=(GT_VISUAL_LABELS, None))


@TRANSFORMS.register_module()
class PackAVELInputs(BaseTransform):
    """Pack audio-visual features and per-segment labels for the model.

    Required keys: the ``input_keys`` (arrays or tensors [T, ...], e.g.
    ``audio`` [T, Ca] and ``visual`` [T, H, W, Cv], channels last), which
    go to ``inputs``. Optional label keys go to fields of the data sample
    (:data:`LABEL_KEYS`): ``segment_labels`` (int [T], background = C) to
    ``gt_segment_labels``, ``video_label`` (int) to ``gt_video_label``,
    ``video_prob_label`` (float [C + 1]) to ``gt_video_prob_label``,
    ``weak_label`` (0/1 [C]) to ``gt_weak_label``, ``audio_labels`` and
    ``visual_labels`` (0/1 [T, C]) to ``gt_audio_labels`` and
    ``gt_visual_labels``.

    Args:
        input_keys (Sequence[str]): Keys of ``results`` that the model
            reads. Defaults to ``('audio', 'visual')``.
        meta_keys (Sequence[str]): Keys of ``results`` copied into the
            metainfo of the data sample when present. Defaults to
            ``('sample_idx', 'video_id', 'num_classes')``.
    """

    def __init__(self,
                 input_keys: Sequence[str] = ('audio', 'visual'),
                 meta_keys: Sequence[str] = ('sample_idx', 'video_id',
                                             'num_classes')) -> None:
        self.input_keys = tuple(input_keys)
        self.meta_keys = tuple(meta_keys)

    def pack_data_sample(self, results: dict) -> ActionDataSample:
        """The data sample of ``results``: labels and meta, no features.

        Label tensors are new tensors, so a data sample (and a prediction
        made from it) never shares memory with the dataset or a batch.
        """
        data_sample = ActionDataSample()
        for key, (field, dtype) in LABEL_KEYS.items():
            if results.get(key) is not None:
                data_sample.set_field(
                    torch.as_tensor(results[key], dtype=dtype).clone(),
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
            for key in self.input_keys
        }
        return dict(
            inputs=inputs, data_samples=self.pack_data_sample(results))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_keys={self.input_keys}, '
                f'meta_keys={self.meta_keys})')
