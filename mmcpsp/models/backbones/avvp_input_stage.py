from typing import Tuple

import torch
import torch.nn as nn
from mmaction.utils import OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS


@MODELS.register_module()
class AVVPInputStage(BaseModule):
    """Input stage of the video parsing networks (PSP-MMIL and HAN).

    ``A0 = Linear(audio)``; each 2D frame is projected, ``R =
    Linear(frames)``, and the frames of a segment are then averaged into
    ``P`` (project first, then average); ``S = Linear(visual_st)``; the
    fused visual sequence is ``V0 = Linear(concat(P, S))``, P first. Every
    layer keeps PyTorch's default initialisation.

    Args:
        audio_channels (int): Channels of the audio features (VGGish: 128).
            Defaults to 128.
        frame_channels (int): Channels of the 2D frame features
            (ResNet-152: 2048). Defaults to 2048.
        clip_channels (int): Channels of the 3D clip features
            (R(2+1)D-18: 512). Defaults to 512.
        frames_per_segment (int): 2D frames per segment. Defaults to 8.
        channels (int): Width d of the output sequences. Defaults to 512.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 audio_channels: int = 128,
                 frame_channels: int = 2048,
                 clip_channels: int = 512,
                 frames_per_segment: int = 8,
                 channels: int = 512,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.audio_channels = audio_channels
        self.frame_channels = frame_channels
        self.clip_channels = clip_channels
        self.frames_per_segment = frames_per_segment
        self.audio_proj = nn.Linear(audio_channels, channels)
        self.frame_proj = nn.Linear(frame_channels, channels)
        self.clip_proj = nn.Linear(clip_channels, channels)
        self.fusion = nn.Linear(2 * channels, channels)

    def _check_inputs(self, audio: torch.Tensor, visual: torch.Tensor,
                      visual_st: torch.Tensor) -> None:
        if audio.dim() != 3 or audio.shape[-1] != self.audio_channels:
            raise ValueError(
                f'AVVPInputStage expects audio features [B, T, '
                f'{self.audio_channels}], got {list(audio.shape)}.')
        if (visual_st.dim() != 3
                or visual_st.shape[-1] != self.clip_channels):
            raise ValueError(
                f'AVVPInputStage expects 3D visual features (visual_st) '
                f'[B, T, {self.clip_channels}], got '
                f'{list(visual_st.shape)}.')
        if audio.shape[:2] != visual_st.shape[:2]:
            raise ValueError(
                'Audio and 3D visual features disagree on [B, T]: '
                f'{list(audio.shape[:2])} vs {list(visual_st.shape[:2])}.')
        batch_size, num_segments = audio.shape[:2]
        frames = self.frames_per_segment
        expected = ((batch_size, num_segments, frames, self.frame_channels),
                    (batch_size, num_segments * frames, self.frame_channels))
        if tuple(visual.shape) not in expected:
            raise ValueError(
                f'AVVPInputStage expects 2D visual features [B, T, {frames}, '
                f'{self.frame_channels}] or [B, T * {frames}, '
                f'{self.frame_channels}] (frames of segment t at '
                f'{frames}t .. {frames}t + {frames - 1}), i.e. '
                f'{list(expected[0])} or {list(expected[1])}; got '
                f'{list(visual.shape)}.')

    def forward(self, audio: torch.Tensor, visual: torch.Tensor,
                visual_st: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Embed the audio and fuse the 2D and 3D visual features.

        Args:
            audio (torch.Tensor): Audio features [B, T, 128].
            visual (torch.Tensor): 2D frame features [B, T, 8, 2048], or
                [B, 8T, 2048] with frames 8t .. 8t + 7 in segment t.
            visual_st (torch.Tensor): 3D clip features [B, T, 512].

        Returns:
            tuple[torch.Tensor, torch.Tensor]: The audio sequence A0 and the
            fused visual sequence V0, each [B, T, d].
        """
        self._check_inputs(audio, visual, visual_st)
        batch_size, num_segments = audio.shape[:2]
        audio_inputs = self.audio_proj(audio)
        frame_feats = self.frame_proj(visual).reshape(
            batch_size, num_segments, self.frames_per_segment, -1)
        segment_frames = frame_feats.mean(dim=2)
        clip_feats = self.clip_proj(visual_st)
        visual_inputs = self.fusion(
            torch.cat([segment_frames, clip_feats], dim=-1))
        return audio_inputs, visual_inputs
