from typing import Tuple

import torch
from mmaction.utils import ConfigType, OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS

from .av_guided_encoder import AVGAEncoder


@MODELS.register_module()
class FrameAVGAEncoder(BaseModule):
    """``AVGAEncoder`` on feature maps computed from frames by any backbone.

    The published models read pre-extracted VGG-19 pool5 maps. This encoder
    computes the maps itself with any registered 2D backbone, MMAction2's
    included (``ResNet``, ``MobileNetV2``, ...), from one frame per
    segment, and trains it end to end with the rest of the network.

    Args:
        visual_backbone (dict): A backbone mapping frames [N, 3, H, W] to
            feature maps [N, Cv, h, w] (a tuple of maps: the last is used).
        visual_channels (int): Channels Cv of the backbone's maps.
        num_regions (int): Regions h * w of the backbone's maps.
        audio_channels (int): Channels of the audio features.
            Defaults to 128.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 visual_backbone: ConfigType,
                 visual_channels: int,
                 num_regions: int,
                 audio_channels: int = 128,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.visual_backbone = MODELS.build(visual_backbone)
        self.encoder = AVGAEncoder(
            audio_channels=audio_channels,
            visual_channels=visual_channels,
            num_regions=num_regions)

    def forward(self, audio: torch.Tensor,
                frames: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Compute the visual maps, then encode both modalities.

        Args:
            audio (torch.Tensor): Audio features [B, T, Ca].
            frames (torch.Tensor): One frame per segment [B, T, 3, H, W].

        Returns:
            tuple[torch.Tensor, torch.Tensor]: The audio sequence A and the
            visual sequence Vs, each [B, T, 256].
        """
        batch_size, num_segments = frames.shape[:2]
        maps = self.visual_backbone(frames.flatten(0, 1))
        if isinstance(maps, (tuple, list)):
            maps = maps[-1]
        maps = maps.permute(0, 2, 3, 1)  # channels last: [N, h, w, Cv]
        maps = maps.reshape(batch_size, num_segments, *maps.shape[1:])
        return self.encoder(audio, maps)
