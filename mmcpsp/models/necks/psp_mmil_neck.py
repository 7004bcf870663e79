from typing import Tuple

import torch
import torch.nn as nn
from mmaction.utils import OptConfigType
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS

from .psp_neck import PSPNeck


@MODELS.register_module()
class PSPMMILNeck(BaseModule):
    """Temporal encoders and positive sample propagation of PSP-MMIL.

    One BiLSTM per modality (from a zero state) encodes the sequences of
    the input stage, A1 = BiLSTM_a(A0) and V1 = BiLSTM_v(V0); the PSP
    module (:class:`PSPNeck`, every width ``channels``) then propagates
    positive samples between them into the audio and visual outputs Ao, Vo
    (CPSP's AVVP network, ``cpsp_avvp/nets/psp_net.py``).

    Args:
        channels (int): Width d of the input and output sequences; each
            BiLSTM direction has d / 2 hidden units. Defaults to 512.
        dropout (float): Dropout probability of the PSP module.
            Defaults to 0.1.
        threshold (float): Pruning threshold of the PSP module: 0.099 is the
            released script's default, 0.090 what its run.sh means to pass.
            Defaults to 0.099.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 channels: int = 512,
                 dropout: float = 0.1,
                 threshold: float = 0.099,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if channels % 2:
            raise ValueError('PSPMMILNeck splits its channels between the '
                             f'two LSTM directions: got odd {channels}.')
        self.audio_lstm = self._bilstm(channels)
        self.visual_lstm = self._bilstm(channels)
        self.psp = PSPNeck(
            channels=channels, dropout=dropout, threshold=threshold)

    @staticmethod
    def _bilstm(channels: int) -> nn.LSTM:
        return nn.LSTM(
            channels,
            channels // 2,
            num_layers=1,
            batch_first=True,
            bidirectional=True)

    def forward(
        self, audio_inputs: torch.Tensor, visual_inputs: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode both sequences in time and propagate across them.

        Args:
            audio_inputs (torch.Tensor): Audio sequence A0 [B, T, d].
            visual_inputs (torch.Tensor): Fused visual sequence V0
                [B, T, d].

        Returns:
            tuple[torch.Tensor, torch.Tensor, torch.Tensor]: The audio
            features Ao, the visual features Vo and the visual inputs V0
            (for the segment contrastive loss), each [B, T, d].
        """
        # nn.LSTM starts from a zero state when no state is given.
        audio_seq, _ = self.audio_lstm(audio_inputs)
        visual_seq, _ = self.visual_lstm(visual_inputs)
        _, visual_feats, audio_feats = self.psp(audio_seq, visual_seq)
        return audio_feats, visual_feats, visual_inputs
