import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from ..utils.precision import float32_region
from .base import WeightedLoss

#: Added to the sum of the rectified similarities of a video.
SIMILARITY_SUM_EPS = 1e-8
#: Added to the number of event segments of a video.
EVENT_COUNT_EPS = 1e-6


@float32_region('losses')
def pair_similarity(visual_out: torch.Tensor,
                    audio_out: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of the audio-visual pair of every segment.

    Each vector is L2-normalised with a 1e-12 floor on its norm.

    Args:
        visual_out (torch.Tensor): Visual outputs Vo [B, T, D].
        audio_out (torch.Tensor): Audio outputs Ao [B, T, D].

    Returns:
        torch.Tensor: Similarities s [B, T].
    """
    return (F.normalize(visual_out, dim=-1) *
            F.normalize(audio_out, dim=-1)).sum(dim=-1)


@MODELS.register_module()
class AVPSPLoss(WeightedLoss):
    """Audio-visual pair similarity loss (L_avpsp), fully supervised.

    ``s_hat = ReLU(s) / (sum_t ReLU(s) + 1e-8)``,
    ``q = e / (sum_t e + 1e-6)``, loss = mean over B * T of
    ``(s_hat - q)^2``.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 100.0.
    """

    def __init__(self, loss_weight: float = 100.0) -> None:
        super().__init__(loss_weight)

    def _forward(self, similarity: torch.Tensor,
                 event_mask: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            similarity (torch.Tensor): Pair similarities s [B, T].
            event_mask (torch.Tensor): Event mask e [B, T], bool or 0/1.

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        rectified = F.relu(similarity)
        similarity_dist = rectified / (
            rectified.sum(dim=-1, keepdim=True) + SIMILARITY_SUM_EPS)
        events = event_mask.to(similarity.dtype)
        event_dist = events / (events.sum(dim=-1, keepdim=True) +
                               EVENT_COUNT_EPS)
        return F.mse_loss(similarity_dist, event_dist)
