from typing import Optional

import torch
import torch.nn.functional as F
from mmaction.models.backbones.resnet import ResNet

from mmcpsp.registry import MODELS

from ..utils import LocalWeightsMixin
from ..utils.torchvision_keys import CLASSIFIER_PREFIX, torchvision_resnet_key

#: torchvision's ImageNet normalisation of RGB in [0, 1] (the settings
#: ``pretrainedmodels`` gave its ``resnet152`` for HAN's extraction).
IMAGENET_UNIT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_UNIT_STD = (0.229, 0.224, 0.225)


@MODELS.register_module()
class ResNetPooled(LocalWeightsMixin, ResNet):
    """MMAction2's 2-D ResNet, globally average-pooled: one vector a frame.

    MMAction2's :class:`~mmaction.models.ResNet` is torchvision's ResNet
    (the same layers in the same order, the stride of a bottleneck on its
    3 x 3 convolution, the ReLU after the residual sum), each convolution
    and its batch norm under one ``ConvModule``. The output of its last
    stage, [N, C, H / 32, W / 32], is average-pooled as torchvision's
    ``avgpool`` does, to [N, C] (2048 for depths 50 to 152): the
    ``feats/res152`` features of LLP with ``depth=152`` and torchvision's
    ImageNet weights (what ``pretrainedmodels.resnet152`` loaded for HAN's
    ``extract_rgb_feat.py``).

    ``pretrained`` is a state dict in torchvision's names
    (``resnet152-b121ed2d.pth``, ``resnet152-394f9c45.pth``); its keys are
    renamed by
    :data:`~mmcpsp.models.utils.torchvision_keys.torchvision_resnet_key`,
    ``fc.*`` is dropped on purpose and every other key must match. Files
    saved before PyTorch 0.4 have no ``num_batches_tracked`` buffers; they
    load too.

    Inputs are normalised as the weights expect (torchvision's: RGB in
    [0, 1], mean :data:`IMAGENET_UNIT_MEAN`, std :data:`IMAGENET_UNIT_STD`),
    by the caller.

    Args:
        depth (int): 18, 34, 50, 101 or 152. Defaults to 152.
        pretrained (str, optional): Path of torchvision's state dict, loaded
            by :meth:`init_weights`. Defaults to None (MMAction2's
            initialisation).
    """

    weight_drop_prefixes = (CLASSIFIER_PREFIX, )
    weight_rename = staticmethod(torchvision_resnet_key)

    def __init__(self, depth: int = 152,
                 pretrained: Optional[str] = None) -> None:
        super().__init__(depth=depth, pretrained=None)
        self.weight_file = pretrained

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Pooled features of frames.

        Args:
            frames (torch.Tensor): Normalised frames [N, 3, H, W].

        Returns:
            torch.Tensor: [N, C], C = 2048 for depths 50 to 152.
        """
        maps = super().forward(frames)
        return F.adaptive_avg_pool2d(maps, 1).flatten(1)
