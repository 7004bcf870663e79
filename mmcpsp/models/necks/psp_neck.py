import math
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.utils import OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS

from ..utils.precision import float32_region

#: Added to row sums before dividing, so that an all-zero row stays zero.
ROWNORM_EPS = 1e-8
#: Epsilon of the LayerNorm shared by both streams.
LAYER_NORM_EPS = 1e-6


def row_normalize(matrix: torch.Tensor) -> torch.Tensor:
    """Divide each row by its sum plus 1e-8.

    Args:
        matrix (torch.Tensor): Non-negative matrices [..., N, M].

    Returns:
        torch.Tensor: ``matrix / (matrix.sum(-1) + 1e-8)``, [..., N, M].
    """
    return matrix / (matrix.sum(dim=-1, keepdim=True) + ROWNORM_EPS)


def prune_and_normalize(weights: torch.Tensor,
                        threshold: float) -> torch.Tensor:
    """Zero the weights not strictly above ``threshold``, then renormalise.

    Args:
        weights (torch.Tensor): Row-normalised weights [B, T, T].
        threshold (float): Weights ``<= threshold`` are dropped.

    Returns:
        torch.Tensor: Pruned, row-normalised weights [B, T, T].
    """
    kept = (weights > threshold).to(weights.dtype)
    return row_normalize(weights * kept)


@MODELS.register_module()
class PSPNeck(BaseModule):
    """Positive sample propagation between the audio and visual sequences.

    From the visual sequence Vs and the audio sequence A [B, T, d]:
    ``V1, V2, A1, A2 = drop(ReLU(W Vs or A))`` (this order fixes the dropout
    random stream), ``S = ReLU(V2 A1^T / sqrt(d))``, the visual-to-audio and
    audio-to-visual weights ``Bva = rownorm(S)`` and ``Bav = rownorm(S^T)``
    are pruned at the threshold and renormalised into ``Gva`` and ``Gav``;
    then ``Vp = Vs + Gva A2``, ``Ap = A + Gav V1``,
    ``Vo = LN(drop(ReLU(W_vo Vp)))``, ``Ao = LN(drop(ReLU(W_ao Ap)))`` with
    one LayerNorm shared by both streams, and ``F = (Vo + Ao) / 2``.

    The weakly supervised PSP released with the CVPR 2021 paper neither
    renormalises the pruned weights (``renormalize=False``: ``Gva = Bva *
    [Bva > thr]``) nor projects its outputs (``output_projection=False``:
    ``Vo = LN(Vp)``, ``Ao = LN(Ap)``, no output dropout).

    Args:
        channels (int): Channels d of the sequences. Defaults to 256.
        dropout (float): Dropout probability. Defaults to 0.1.
        threshold (float): Pruning threshold of the propagation weights
            (0.099 fully supervised, 0.095 weakly supervised).
            Defaults to 0.099.
        renormalize (bool): Renormalise the rows of the pruned weights.
            Defaults to True.
        output_projection (bool): Apply ``drop(ReLU(W_o .))`` before the
            LayerNorm. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 channels: int = 256,
                 dropout: float = 0.1,
                 threshold: float = 0.099,
                 renormalize: bool = True,
                 output_projection: bool = True,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channels = channels
        self.threshold = threshold
        self.renormalize = renormalize
        self.output_projection = output_projection
        self.visual_message_proj = nn.Linear(channels, channels, bias=False)
        self.visual_affinity_proj = nn.Linear(channels, channels, bias=False)
        self.audio_affinity_proj = nn.Linear(channels, channels, bias=False)
        self.audio_message_proj = nn.Linear(channels, channels, bias=False)
        layers = [
            self.visual_message_proj, self.visual_affinity_proj,
            self.audio_affinity_proj, self.audio_message_proj
        ]
        if output_projection:
            self.visual_out_proj = nn.Linear(channels, channels, bias=False)
            self.audio_out_proj = nn.Linear(channels, channels, bias=False)
            layers += [self.audio_out_proj, self.visual_out_proj]
        for layer in layers:
            nn.init.xavier_uniform_(layer.weight)
        self.dropout = nn.Dropout(p=dropout)
        self.layer_norm = nn.LayerNorm(channels, eps=LAYER_NORM_EPS)

    def _branch(self, proj: nn.Linear, seq: torch.Tensor) -> torch.Tensor:
        return self.dropout(F.relu(proj(seq)))

    def _prune(self, weights: torch.Tensor) -> torch.Tensor:
        if self.renormalize:
            return prune_and_normalize(weights, self.threshold)
        return weights * (weights > self.threshold).to(weights.dtype)

    @float32_region('psp_propagation')
    def _propagation_weights(
        self, visual_affinity: torch.Tensor, audio_affinity: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The pruned visual-to-audio and audio-to-visual weights Gva, Gav
        [B, T, T]: the threshold decides on row-normalised affinities, so
        under mixed precision they are computed in float32."""
        # [B, T(visual), T(audio)]
        affinity = F.relu(
            torch.bmm(visual_affinity, audio_affinity.transpose(1, 2)) /
            math.sqrt(visual_affinity.shape[-1]))
        visual_to_audio = self._prune(row_normalize(affinity))
        audio_to_visual = self._prune(
            row_normalize(affinity.transpose(1, 2)))
        return visual_to_audio, audio_to_visual

    def forward(
        self, audio_seq: torch.Tensor, visual_seq: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Propagate positive samples across the modalities.

        Args:
            audio_seq (torch.Tensor): Audio sequence A [B, T, d].
            visual_seq (torch.Tensor): Visual sequence Vs [B, T, d].

        Returns:
            tuple[torch.Tensor, torch.Tensor, torch.Tensor]: The fused
            features F, the visual output Vo and the audio output Ao, each
            [B, T, d].
        """
        visual_message = self._branch(self.visual_message_proj, visual_seq)
        visual_affinity = self._branch(self.visual_affinity_proj, visual_seq)
        audio_affinity = self._branch(self.audio_affinity_proj, audio_seq)
        audio_message = self._branch(self.audio_message_proj, audio_seq)

        visual_to_audio, audio_to_visual = self._propagation_weights(
            visual_affinity, audio_affinity)

        visual_psp = visual_seq + torch.bmm(visual_to_audio, audio_message)
        audio_psp = audio_seq + torch.bmm(audio_to_visual, visual_message)
        if self.output_projection:
            visual_psp = self._branch(self.visual_out_proj, visual_psp)
            audio_psp = self._branch(self.audio_out_proj, audio_psp)
        visual_out = self.layer_norm(visual_psp)
        audio_out = self.layer_norm(audio_psp)
        fused = (visual_out + audio_out) / 2
        return fused, visual_out, audio_out
