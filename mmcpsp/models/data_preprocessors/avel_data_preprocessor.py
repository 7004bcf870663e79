from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from mmcpsp.registry import MODELS
from mmcpsp.structures import BATCH_LABELS


@MODELS.register_module()
class AVELDataPreprocessor(BaseDataPreprocessor):
    """Batch the audio and visual features and give them the model's dtype.

    ``inputs`` holds ``audio`` and ``visual``, each a list of per-video
    tensors (``pseudo_collate``) or an already stacked tensor. They are
    stacked, moved to the device of the model and, when floating point,
    cast to its dtype, so that a float64 model receives float64 features.
    The dtype is that of a non-persistent buffer, which follows
    ``model.double()`` or ``model.to(dtype)``.

    Args:
        non_blocking (bool): Whether to copy to the device without blocking.
            Defaults to False.
    """

    def __init__(self, non_blocking: Optional[bool] = False) -> None:
        super().__init__(non_blocking=non_blocking)
        self.register_buffer('dtype_reference', torch.zeros(0),
                             persistent=False)

    @property
    def dtype(self) -> torch.dtype:
        """torch.dtype: The floating dtype of the model."""
        return self.dtype_reference.dtype

    def _batch(self, features: Union[torch.Tensor, Sequence[torch.Tensor]]
               ) -> torch.Tensor:
        if not isinstance(features, torch.Tensor):
            features = torch.stack(list(features))
        if features.is_floating_point():
            features = features.to(self.dtype)
        return features

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, move and cast the inputs.

        Args:
            data (dict): ``inputs`` (dict with ``audio`` [T, Ca] per video
                and ``visual`` [T, H, W, Cv] per video, or stacked),
                optionally ``data_samples`` and, from ``avel_collate``,
                ``labels`` (label field -> stacked tensor [B, ...]), which
                are set back on the data samples.
            training (bool): Whether the batch is for training. Unused: no
                augmentation is applied. Defaults to False.

        Returns:
            dict: ``inputs`` with ``audio`` [B, T, Ca] and ``visual``
            [B, T, H, W, Cv], and ``data_samples`` (None when absent).
        """
        data = self.cast_data(data)
        inputs = {
            name: self._batch(features)
            for name, features in data['inputs'].items()
        }
        data_samples = data.get('data_samples')
        # avel_collate carries the labels stacked: back into the samples,
        # each a tensor of its own, so that a prediction kept after the
        # step never holds the batch's memory (nor pickles all of it).
        for field, stacked in data.get(BATCH_LABELS, {}).items():
            for data_sample, value in zip(data_samples, stacked):
                data_sample.set_field(value.clone(), field,
                                      dtype=torch.Tensor)
        return dict(inputs=inputs, data_samples=data_samples)
