from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.utils import OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS

#: Epsilon of both LayerNorms (PyTorch's default).
LAYER_NORM_EPS = 1e-5


@MODELS.register_module()
class HANNeck(BaseModule):
    """The hybrid attention network (HAN) of Tian et al. (ECCV 2020).

    ONE hybrid attention layer H, shared by both modalities, attends along
    time within each video: ``F_a = H(A0, V0)`` and ``F_v = H(V0, A0)``,
    both from the inputs (no stacking, no final norm). With ``c =
    MHA_cross(q, k, k)`` and ``u = MHA_self(q, q, q)`` (PyTorch's
    ``nn.MultiheadAttention``, dropout on the attention weights in
    training), ``h = LN1(q + drop(c) + drop(u))`` and ``H(q, k) = LN2(h +
    drop(W2 drop(ReLU(W1 h))))``.

    The operations run in the order of the released code
    (``nets/net_audiovisual.py`` of YapengTian/AVVP-ECCV20), sequence
    first, so that training draws the same dropout masks from the same
    random state. Every layer keeps PyTorch's default initialisation.

    Args:
        channels (int): Width d of the sequences. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 1.
        feedforward_channels (int): Hidden width of the feed-forward block.
            Defaults to 512.
        dropout (float): Every dropout probability (attention weights,
            residual branches, feed-forward). Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 channels: int = 512,
                 num_heads: int = 1,
                 feedforward_channels: int = 512,
                 dropout: float = 0.1,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.self_attn = nn.MultiheadAttention(
            channels, num_heads, dropout=dropout)
        self.cross_attn = nn.MultiheadAttention(
            channels, num_heads, dropout=dropout)
        self.ffn_hidden = nn.Linear(channels, feedforward_channels)
        self.ffn_out = nn.Linear(feedforward_channels, channels)
        self.attention_norm = nn.LayerNorm(channels, eps=LAYER_NORM_EPS)
        self.ffn_norm = nn.LayerNorm(channels, eps=LAYER_NORM_EPS)
        self.cross_dropout = nn.Dropout(dropout)
        self.self_dropout = nn.Dropout(dropout)
        self.ffn_hidden_dropout = nn.Dropout(dropout)
        self.ffn_dropout = nn.Dropout(dropout)

    def attend(self, query_seq: torch.Tensor,
               other_seq: torch.Tensor) -> torch.Tensor:
        """The hybrid attention layer H(q, k).

        Args:
            query_seq (torch.Tensor): The modality it encodes, q [B, T, d].
            other_seq (torch.Tensor): The other modality, k [B, T, d].

        Returns:
            torch.Tensor: The encoded sequence [B, T, d].
        """
        # nn.MultiheadAttention, built sequence first: [T, B, d].
        query_seq = query_seq.permute(1, 0, 2)
        other_seq = other_seq.permute(1, 0, 2)
        cross = self.cross_attn(query_seq, other_seq, other_seq)[0]
        self_att = self.self_attn(query_seq, query_seq, query_seq)[0]
        hidden = self.attention_norm(query_seq + self.cross_dropout(cross) +
                                     self.self_dropout(self_att))
        ffn = self.ffn_out(
            self.ffn_hidden_dropout(F.relu(self.ffn_hidden(hidden))))
        out = self.ffn_norm(hidden + self.ffn_dropout(ffn))
        return out.permute(1, 0, 2)

    def forward(
        self, audio_inputs: torch.Tensor, visual_inputs: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode each modality attending to itself and to the other.

        Args:
            audio_inputs (torch.Tensor): Audio sequence A0 [B, T, d].
            visual_inputs (torch.Tensor): Fused visual sequence V0
                [B, T, d].

        Returns:
            tuple[torch.Tensor, torch.Tensor, torch.Tensor]: The audio
            features F_a, the visual features F_v and the visual inputs V0,
            each [B, T, d].
        """
        audio_feats = self.attend(audio_inputs, visual_inputs)
        visual_feats = self.attend(visual_inputs, audio_inputs)
        return audio_feats, visual_feats, visual_inputs
