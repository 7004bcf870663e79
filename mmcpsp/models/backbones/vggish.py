from typing import List, Optional

import torch
import torch.nn as nn
from mmaction.utils import OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS

from ..utils import load_local_weights

#: Log-mel frames and mel bands of one VGGish example (0.96 s).
EXAMPLE_FRAMES = 96
MEL_BANDS = 64
#: Width of the VGGish embedding.
EMBEDDING_CHANNELS = 128
#: Convolution widths, 'M' a 2 x 2 max-pool: the layer indices of
#: ``features`` are those of the published weight files.
_LAYOUT = (64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M')
#: Channels, frames and bands of the last feature map.
_MAP_SHAPE = (512, EXAMPLE_FRAMES // 16, MEL_BANDS // 16)


def _feature_layers() -> nn.Sequential:
    layers: List[nn.Module] = []
    in_channels = 1
    for width in _LAYOUT:
        if width == 'M':
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [
                nn.Conv2d(in_channels, width, kernel_size=3, padding=1),
                nn.ReLU(inplace=True)
            ]
            in_channels = width
    return nn.Sequential(*layers)


@MODELS.register_module()
class VGGish(BaseModule):
    """VGGish (Hershey et al., ICASSP 2017): a 128-d embedding per 0.96 s.

    The network of the AudioSet release, with the key layout of its PyTorch
    port (``features.{0,3,6,8,11,13}.*``, ``embeddings.{0,2,4}.*``), so that
    the port's ``vggish-10086976.pth`` loads from a local path with no
    missing or unexpected key. The output is the ReLU'd embedding before
    the PCA and 8-bit quantisation of the AudioSet release, which is what
    the AVE audio features are.

    The last feature map [N, 512, 6, 4] is flattened channels last, as the
    TensorFlow original, before the three linear layers.

    Args:
        pretrained (str, optional): Path of a state dict with the port's
            key layout, loaded by :meth:`init_weights`. Defaults to None.
        init_cfg (dict, optional): Initialisation config, used when
            ``pretrained`` is None. Defaults to None.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.pretrained = pretrained
        self.features = _feature_layers()
        map_size = _MAP_SHAPE[0] * _MAP_SHAPE[1] * _MAP_SHAPE[2]
        self.embeddings = nn.Sequential(
            nn.Linear(map_size, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, EMBEDDING_CHANNELS), nn.ReLU(inplace=True))

    def init_weights(self) -> None:
        """Load ``pretrained`` when given, else apply ``init_cfg`` (PyTorch's
        default initialisation when both are None)."""
        if self.pretrained is not None:
            load_local_weights(self, self.pretrained)
            self._is_init = True
        elif self.init_cfg is not None:
            super().init_weights()

    def forward(self, examples: torch.Tensor) -> torch.Tensor:
        """Embed log-mel examples.

        Args:
            examples (torch.Tensor): Log-mel examples [N, 1, 96, 64] or
                [N, 96, 64] (frames, mel bands).

        Returns:
            torch.Tensor: Embeddings [N, 128], non-negative.
        """
        if examples.dim() == 3:
            examples = examples.unsqueeze(1)
        if examples.shape[1:] != (1, EXAMPLE_FRAMES, MEL_BANDS):
            raise ValueError(
                f'VGGish expects log-mel examples [N, 1, {EXAMPLE_FRAMES}, '
                f'{MEL_BANDS}], got {list(examples.shape)}.')
        maps = self.features(examples)
        # Channels last before flattening, as the TensorFlow original.
        maps = maps.permute(0, 2, 3, 1).flatten(1)
        return self.embeddings(maps)
