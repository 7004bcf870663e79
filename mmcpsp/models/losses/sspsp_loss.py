import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from .base import WeightedLoss


@MODELS.register_module()
class SSPSPLoss(WeightedLoss):
    """Self-supervised audio-visual contrastive loss of SSPSP.

    Ao and Vo are flattened to N = B * T rows and L2-normalised;
    ``logits_ij = a_i . v_j / tau`` and the loss is the mean over the audio
    anchors i of ``-(logits_ii - logsumexp_j logits_ij)``: every other
    segment of the batch, same video included, is a negative. No labels
    are used.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        tau (float): Temperature. Defaults to 0.1.
    """

    def __init__(self, loss_weight: float = 1.0, tau: float = 0.1) -> None:
        super().__init__(loss_weight)
        self.tau = tau

    def _forward(self, audio_out: torch.Tensor,
                 visual_out: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            audio_out (torch.Tensor): Audio outputs Ao [B, T, D].
            visual_out (torch.Tensor): Visual outputs Vo [B, T, D].

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        channels = audio_out.shape[-1]
        audio_feats = F.normalize(audio_out.reshape(-1, channels), dim=-1)
        visual_feats = F.normalize(visual_out.reshape(-1, channels), dim=-1)
        logits = audio_feats @ visual_feats.t() / self.tau  # [N, N]
        targets = torch.arange(logits.shape[0], device=logits.device)
        return F.cross_entropy(logits, targets)
