from typing import Tuple

import torch
import torch.nn as nn
from mmaction.utils import OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS

from .audio_guided_visual_attention import AudioGuidedVisualAttention

#: Width of the first embedding layer of each modality.
EMBED_HIDDEN_CHANNELS = 256
#: Width of the embedded audio and visual vectors (the BiLSTM input).
EMBED_CHANNELS = 128
#: Hidden size of each direction of the BiLSTMs.
LSTM_HIDDEN_CHANNELS = 128
#: Hidden width of the audio-guided visual attention.
ATTENTION_HIDDEN_CHANNELS = 512


#: How the attended visual vector is embedded: two bias-free layers
#: (CPSP, PSP) or one layer with bias (the CVPR 2021 weakly supervised PSP).
VISUAL_EMBEDDINGS = ('two_layer', 'linear')


def _embedding(in_channels: int) -> nn.Sequential:
    """Two bias-free linear layers, ``in -> 256 -> 128``, no activation."""
    return nn.Sequential(
        nn.Linear(in_channels, EMBED_HIDDEN_CHANNELS, bias=False),
        nn.Linear(EMBED_HIDDEN_CHANNELS, EMBED_CHANNELS, bias=False))


def _bilstm() -> nn.LSTM:
    return nn.LSTM(
        EMBED_CHANNELS,
        LSTM_HIDDEN_CHANNELS,
        num_layers=1,
        batch_first=True,
        bidirectional=True)


@MODELS.register_module()
class AVGAEncoder(BaseModule):
    """Audio and visual encoders of the PSP family (PSP, CPSP, SSPSP).

    The audio feature of each segment is embedded by two linear layers; it
    guides an attention over the regions of the visual feature map, whose
    attended vector is embedded the same way. One BiLSTM per modality then
    models the segments in time, from a zero initial state.

    The weakly supervised PSP released with the CVPR 2021 paper differs:
    the raw audio (128-d) drives the attention and the audio BiLSTM
    (``embed_audio=False``), and one linear layer with bias embeds the
    attended visual vector (``visual_embedding='linear'``).

    Args:
        audio_channels (int): Channels of the audio features (VGGish: 128).
            Defaults to 128.
        visual_channels (int): Channels Cv of the visual feature map
            (VGG-19 pool5: 512). Defaults to 512.
        num_regions (int): Regions H * W of the visual feature map.
            Defaults to 49.
        embed_audio (bool): Embed the audio with two bias-free linear
            layers ``Ca -> 256 -> 128``; False feeds the raw audio, which
            must then be 128-d. Defaults to True.
        visual_embedding (str): ``'two_layer'`` (bias-free
            ``Cv -> 256 -> 128``) or ``'linear'`` (one ``Cv -> 128`` layer
            with bias). Defaults to ``'two_layer'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 audio_channels: int = 128,
                 visual_channels: int = 512,
                 num_regions: int = 49,
                 embed_audio: bool = True,
                 visual_embedding: str = 'two_layer',
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if visual_embedding not in VISUAL_EMBEDDINGS:
            raise ValueError(f'visual_embedding must be one of '
                             f'{VISUAL_EMBEDDINGS}, got {visual_embedding!r}.')
        if not embed_audio and audio_channels != EMBED_CHANNELS:
            raise ValueError(
                f'embed_audio=False feeds the raw audio to the attention and '
                f'the BiLSTM, which take {EMBED_CHANNELS} channels; got '
                f'audio_channels={audio_channels}.')
        self.audio_channels = audio_channels
        self.visual_channels = visual_channels
        self.num_regions = num_regions
        self.audio_embedding = (
            _embedding(audio_channels) if embed_audio else nn.Identity())
        self.attention = AudioGuidedVisualAttention(
            audio_channels=EMBED_CHANNELS,
            visual_channels=visual_channels,
            hidden_channels=ATTENTION_HIDDEN_CHANNELS,
            num_regions=num_regions)
        self.visual_embedding = (
            _embedding(visual_channels) if visual_embedding == 'two_layer'
            else nn.Linear(visual_channels, EMBED_CHANNELS))
        self.audio_lstm = _bilstm()
        self.visual_lstm = _bilstm()

    def _check_inputs(self, audio: torch.Tensor, visual: torch.Tensor) -> None:
        if audio.dim() != 3 or audio.shape[-1] != self.audio_channels:
            raise ValueError(
                f'AVGAEncoder expects audio features [B, T, '
                f'{self.audio_channels}], got {list(audio.shape)}.')
        if visual.dim() != 5 or visual.shape[-1] != self.visual_channels:
            raise ValueError(
                'AVGAEncoder expects channels-last visual features [B, T, H, '
                f'W, {self.visual_channels}], got {list(visual.shape)}.')
        height, width = visual.shape[2:4]
        if height * width != self.num_regions:
            raise ValueError(
                f'AVGAEncoder was built with num_regions={self.num_regions} '
                f'but the visual feature map is {height} x {width} = '
                f'{height * width} regions: set num_regions to H * W.')
        if audio.shape[:2] != visual.shape[:2]:
            raise ValueError(
                'Audio and visual features disagree on [B, T]: '
                f'{list(audio.shape[:2])} vs {list(visual.shape[:2])}.')

    def forward(self, audio: torch.Tensor,
                visual: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encode both modalities.

        Args:
            audio (torch.Tensor): Audio features [B, T, Ca].
            visual (torch.Tensor): Visual feature maps [B, T, H, W, Cv],
                channels last.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: The audio sequence A and the
            visual sequence Vs, each [B, T, 256].
        """
        self._check_inputs(audio, visual)
        batch_size, num_segments = audio.shape[:2]
        audio_embeds = self.audio_embedding(audio)  # [B, T, 128]
        region_feats = visual.reshape(batch_size * num_segments,
                                      self.num_regions, self.visual_channels)
        attended_visual = self.attention(
            audio_embeds.reshape(batch_size * num_segments, -1), region_feats)
        visual_embeds = self.visual_embedding(
            attended_visual.reshape(batch_size, num_segments, -1))
        # nn.LSTM starts from a zero state when no state is given.
        audio_seq, _ = self.audio_lstm(audio_embeds)
        visual_seq, _ = self.visual_lstm(visual_embeds)
        return audio_seq, visual_seq
