from typing import Optional, Tuple

import torch
from mmaction.utils import ConfigType, OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS

from ..utils import load_local_weights
from .av_guided_encoder import AVGAEncoder

VISUAL_KINDS = ('2d', '3d')


def _last_map(outputs) -> torch.Tensor:
    """The last output of a backbone returning one map or a tuple."""
    return outputs[-1] if isinstance(outputs, (tuple, list)) else outputs


@MODELS.register_module()
class FrameAVGAEncoder(BaseModule):
    """``AVGAEncoder`` on features computed from raw inputs by any backbone.

    The published models read pre-extracted VGGish vectors and VGG-19 pool5
    maps. This encoder computes them itself, end to end, with registered
    backbones, MMAction2's included:

    - visual, ``visual_kind='2d'``: a 2D backbone (``ResNet`` as in TSN,
      ``VGG19Pool5``, ``MobileNetV2`` ...) runs on every sampled frame and
      its last feature maps are averaged over the N frames of a segment;
    - visual, ``visual_kind='3d'``: a 3D backbone (``X3D``, ``ResNet3d``,
      ``ResNet3dSlowOnly`` ...) runs on the N frames of each segment as one
      clip and its maps are averaged over time;

      either way the spatial map [h, w, Cv] of each segment is kept for the
      audio-guided attention;
    - audio: ``audio_backbone`` (``VGGish``, or ``ResNetAudio`` whose maps
      are averaged over time and frequency) runs on each segment's log-mel
      example; without it the audio input is already a feature vector.

    Args:
        visual_backbone (dict): The visual backbone.
        visual_channels (int): Channels Cv of its maps.
        num_regions (int): Regions h * w of its maps.
        audio_backbone (dict, optional): The audio backbone. Defaults to
            None (audio features given).
        audio_channels (int): Channels of the audio features (the audio
            backbone's output). Defaults to 128.
        visual_kind (str): ``'2d'`` or ``'3d'``. Defaults to ``'2d'``.
        visual_checkpoint (str, optional): Weights of the visual backbone
            loaded by :meth:`init_weights`, strictly: an MMAction2
            checkpoint (its ``backbone.*`` keys) or a state dict of the
            backbone alone. Defaults to None.
        audio_checkpoint (str, optional): The same for the audio backbone
            (``VGGish`` also takes the port's file as ``pretrained``).
            Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 visual_backbone: ConfigType,
                 visual_channels: int,
                 num_regions: int,
                 audio_backbone: OptConfigType = None,
                 audio_channels: int = 128,
                 visual_kind: str = '2d',
                 visual_checkpoint: Optional[str] = None,
                 audio_checkpoint: Optional[str] = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if visual_kind not in VISUAL_KINDS:
            raise ValueError(f'visual_kind must be one of {VISUAL_KINDS}, '
                             f'got {visual_kind!r}')
        self.visual_kind = visual_kind
        self.visual_checkpoint = visual_checkpoint
        self.audio_checkpoint = audio_checkpoint
        self.visual_backbone = MODELS.build(visual_backbone)
        self.audio_backbone: Optional[torch.nn.Module] = (
            None if audio_backbone is None else MODELS.build(audio_backbone))
        self.encoder = AVGAEncoder(
            audio_channels=audio_channels,
            visual_channels=visual_channels,
            num_regions=num_regions)

    def init_weights(self) -> None:
        """Initialise, then load the backbone checkpoints when given."""
        super().init_weights()
        for backbone, checkpoint in ((self.visual_backbone,
                                      self.visual_checkpoint),
                                     (self.audio_backbone,
                                      self.audio_checkpoint)):
            if checkpoint is not None:
                load_local_weights(backbone, checkpoint,
                                   select_prefix='backbone.')

    def encode_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio features [B, T, Ca] from log-mel examples [B, T, F, M]
        (or the features themselves without an audio backbone)."""
        if self.audio_backbone is None:
            return audio
        batch_size, num_segments = audio.shape[:2]
        outputs = _last_map(
            self.audio_backbone(audio.flatten(0, 1).unsqueeze(1)))
        if outputs.dim() > 2:  # maps (ResNetAudio): average time, frequency
            outputs = outputs.flatten(2).mean(dim=2)
        return outputs.reshape(batch_size, num_segments, -1)

    def encode_visual(self, frames: torch.Tensor) -> torch.Tensor:
        """Maps [B, T, h, w, Cv] from frames [B, T, N, 3, H, W] (or one
        frame per segment, [B, T, 3, H, W])."""
        if frames.dim() == 5:
            frames = frames.unsqueeze(2)
        if frames.dim() != 6 or frames.shape[3] != 3:
            raise ValueError(
                'FrameAVGAEncoder expects frames [B, T, N, 3, H, W] (the '
                'raw-video pipeline with a data preprocessor that normalises '
                f'them), got {list(frames.shape)}; pre-extracted feature '
                'maps go to AVGAEncoder.')
        batch_size, num_segments, num_frames = frames.shape[:3]
        if self.visual_kind == '2d':
            maps = _last_map(self.visual_backbone(frames.flatten(0, 2)))
            maps = maps.reshape(batch_size * num_segments, num_frames,
                                *maps.shape[1:]).mean(dim=1)
        else:
            # One clip per segment: [B * T, 3, N, H, W].
            clips = frames.flatten(0, 1).transpose(1, 2)
            maps = _last_map(self.visual_backbone(clips)).mean(dim=2)
        maps = maps.permute(0, 2, 3, 1)  # channels last: [B * T, h, w, Cv]
        return maps.reshape(batch_size, num_segments, *maps.shape[1:])

    def forward(self, audio: torch.Tensor,
                visual: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Compute the features, then encode both modalities.

        Args:
            audio (torch.Tensor): Log-mel examples [B, T, F, M] with an
                audio backbone, else audio features [B, T, Ca].
            visual (torch.Tensor): Normalised frames [B, T, N, 3, H, W] or
                [B, T, 3, H, W].

        Returns:
            tuple[torch.Tensor, torch.Tensor]: The audio sequence A and the
            visual sequence Vs, each [B, T, 256].
        """
        return self.encoder(self.encode_audio(audio),
                            self.encode_visual(visual))
