from typing import Optional, Sequence

import torch

from mmcpsp.registry import MODELS

from .avel_data_preprocessor import AVELDataPreprocessor

CHANNEL_ORDERS = ('rgb', 'bgr')


@MODELS.register_module()
class AVELVideoDataPreprocessor(AVELDataPreprocessor):
    """Batch decoded videos and normalise their frames on the device.

    As MMAction2's ``ActionDataPreprocessor``, the frame normalisation
    (mean, std, channel order) is part of the model config, next to the
    backbone whose weights expect it, and runs on the model's device. The
    frames arrive as decoded (uint8, RGB, channels last); the log-mel audio
    is only stacked and cast.

    Args:
        mean (Sequence[float]): Per-channel mean, in ``channel_order``, on
            the [0, 255] scale. Defaults to ImageNet's RGB mean
            (torchvision's weights; MMAction2's TSN and X3D use the same).
        std (Sequence[float]): Per-channel std, likewise. Defaults to
            ImageNet's RGB std.
        channel_order (str): Channel order the backbone expects:
            ``'rgb'`` or ``'bgr'`` (caffe-style weights, e.g. the Keras
            VGG-19 of the AVE features, with ``std=(1, 1, 1)``).
            Defaults to ``'rgb'``.
        non_blocking (bool): Copy to the device without blocking.
            Defaults to False.
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 channel_order: str = 'rgb',
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if channel_order not in CHANNEL_ORDERS:
            raise ValueError(f'channel_order must be one of {CHANNEL_ORDERS}'
                             f', got {channel_order!r}')
        if len(mean) != 3 or len(std) != 3:
            raise ValueError('mean and std need one value per channel')
        self.channel_order = channel_order
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32),
                             persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, move, cast, and normalise the frames.

        Args:
            data (dict): As for :class:`AVELDataPreprocessor`, with
                ``inputs['visual']`` uint8 frames [T, N, H, W, 3] per video
                and ``inputs['audio']`` log-mel [T, 96, 64] (or features).
            training (bool): Unused. Defaults to False.

        Returns:
            dict: ``inputs`` with ``visual`` [B, T, N, 3, H, W] normalised
            in the model's dtype, ``audio`` [B, T, ...], and
            ``data_samples``.
        """
        data = super().forward(data, training)
        frames = data['inputs']['visual'].to(self.dtype)
        if self.channel_order == 'bgr':
            frames = frames.flip(-1)
        frames = (frames - self.mean.to(self.dtype)) / self.std.to(self.dtype)
        # Channels first per frame, as image backbones take them.
        data['inputs']['visual'] = frames.movedim(-1, -3)
        return data
