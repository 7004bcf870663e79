from typing import Optional

import torch
from mmcv.cnn import VGG

from mmcpsp.registry import MODELS

from ..utils import LocalWeightsMixin

#: torchvision's ImageNet normalisation (RGB, pixel values in [0, 255]),
#: the one its VGG-19 weights were trained with.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
#: Keys of torchvision's file that are not part of the extractor.
CLASSIFIER_PREFIX = 'classifier.'


@MODELS.register_module()
class VGG19Pool5(LocalWeightsMixin, VGG):
    """VGG-19 up to its last max-pool: the visual maps of AVE.

    mmcv's :class:`~mmcv.cnn.VGG` builds the layer sequence of torchvision's
    ``vgg19`` under the same keys (``features.N.*``), so torchvision's
    ``vgg19-dcbb9e9d.pth`` loads from a local path without torchvision.
    Its ``classifier.*`` tensors are dropped on purpose: only the pool5
    maps are used; every other key must match.

    A 224 x 224 frame gives a [512, 7, 7] map, non-negative (max-pool of
    ReLU outputs). Inputs are normalised as the weights expect (for
    torchvision's: RGB, mean :data:`IMAGENET_MEAN`, std
    :data:`IMAGENET_STD`), by the data preprocessor or the caller.

    Args:
        pretrained (str, optional): Path of torchvision's VGG-19 state dict,
            loaded by :meth:`init_weights`. Defaults to None, meaning
            mmcv's VGG initialisation.
    """

    weight_drop_prefixes = (CLASSIFIER_PREFIX, )

    def __init__(self, pretrained: Optional[str] = None) -> None:
        super().__init__(
            depth=19, num_classes=-1, out_indices=(4, ),
            with_last_pool=True)
        self.weight_file = pretrained

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Compute the pool5 maps.

        Args:
            frames (torch.Tensor): Normalised frames [N, 3, H, W].

        Returns:
            torch.Tensor: Maps [N, 512, H / 32, W / 32].
        """
        return super().forward(frames)
