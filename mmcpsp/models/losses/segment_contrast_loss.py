import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from ..utils.precision import float32_region
from .base import WeightedLoss


@float32_region('losses')
def segment_similarity(audio_feats: torch.Tensor,
                       visual_feats: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every audio segment with every visual one.

    Each vector is L2-normalised with a 1e-12 floor on its norm.

    Args:
        audio_feats (torch.Tensor): Audio features [B, T, D] (rows).
        visual_feats (torch.Tensor): Visual features [B, T, D] (columns).

    Returns:
        torch.Tensor: Similarities [B, T(audio), T(visual)].
    """
    return torch.bmm(
        F.normalize(audio_feats, dim=-1),
        F.normalize(visual_feats, dim=-1).transpose(1, 2))


@MODELS.register_module()
class SegmentContrastLoss(WeightedLoss):
    """Segment contrastive loss of CPSP's video parsing network (L_seg).

    Audio segment i of a video must find its own visual segment among the T
    of the video: with ``sims = segment_similarity(audio, visual) /
    temperature`` [B, T, T], a label-smoothed cross-entropy over the T
    columns of each row, target ``1 - smoothing`` at j = i and
    ``smoothing / (T - 1)`` elsewhere, averaged over the B * T rows. In the
    release the rows are the audio features after PSP (Ao) and the columns
    the fused visual inputs before the LSTM (V0).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        temperature (float): Temperature of the similarities.
            Defaults to 0.2.
        smoothing (float): Target mass spread over the other segments.
            Defaults to 0.1.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 temperature: float = 0.2,
                 smoothing: float = 0.1) -> None:
        super().__init__(loss_weight)
        self.temperature = temperature
        self.smoothing = smoothing

    def _forward(self, audio_feats: torch.Tensor,
                 visual_feats: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            audio_feats (torch.Tensor): Audio features [B, T, D].
            visual_feats (torch.Tensor): Visual features [B, T, D].

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        num_segments = audio_feats.shape[1]
        if num_segments < 2:
            raise ValueError('SegmentContrastLoss contrasts the segments of '
                             f'a video: it needs T >= 2, got {num_segments}.')
        sims = segment_similarity(audio_feats, visual_feats) / self.temperature
        log_probs = F.log_softmax(sims, dim=-1)
        target = torch.full_like(log_probs,
                                 self.smoothing / (num_segments - 1))
        target.diagonal(dim1=1, dim2=2).fill_(1 - self.smoothing)
        return (-target * log_probs).sum(dim=-1).mean()
