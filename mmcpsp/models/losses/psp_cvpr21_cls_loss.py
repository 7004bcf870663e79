import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from .base import WeightedLoss


@MODELS.register_module()
class SegmentCELoss(WeightedLoss):
    """Cross-entropy over C + 1 classes for every segment.

    The fully supervised classification loss of PSP as released with the
    CVPR 2021 paper: the background is a class (index C), and the loss is
    averaged over the B * T segments.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def _forward(self, segment_logits: torch.Tensor,
                 segment_labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            segment_logits (torch.Tensor): Logits [B, T, C + 1].
            segment_labels (torch.Tensor): Class per segment [B, T], long,
                background = C.

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        return F.cross_entropy(
            segment_logits.flatten(0, 1), segment_labels.flatten().long())


@MODELS.register_module()
class VideoBCELoss(WeightedLoss):
    """Binary cross-entropy of video probabilities against soft targets.

    The weakly supervised loss of PSP as released with the CVPR 2021 paper:
    ``BCE(video_prob, target)`` averaged over B * (C + 1), where the target
    is the normalised weak label (``prob_label.h5``: the share of event and
    of background segments of the video).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def _forward(self, video_prob: torch.Tensor,
                 target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            video_prob (torch.Tensor): Probabilities [B, C + 1] in (0, 1).
            target (torch.Tensor): Targets [B, C + 1] in [0, 1].

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        return F.binary_cross_entropy(
            video_prob, target.to(video_prob.dtype))
