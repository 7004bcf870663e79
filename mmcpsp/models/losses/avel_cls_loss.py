import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from .base import WeightedLoss


@MODELS.register_module()
class AVELFullyClsLoss(WeightedLoss):
    """Fully supervised classification loss of CPSP.

    ``BCEWithLogits(event_logits, e)`` averaged over B * T plus
    ``CrossEntropy(category_logits, k)`` averaged over B.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def _forward(self, event_logits: torch.Tensor,
                 category_logits: torch.Tensor, event_mask: torch.Tensor,
                 video_classes: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            event_logits (torch.Tensor): Event logits [B, T].
            category_logits (torch.Tensor): Category logits [B, C].
            event_mask (torch.Tensor): Event mask e [B, T], bool or 0/1.
            video_classes (torch.Tensor): Video classes k [B], long.

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        event_loss = F.binary_cross_entropy_with_logits(
            event_logits, event_mask.to(event_logits.dtype))
        category_loss = F.cross_entropy(category_logits, video_classes.long())
        return event_loss + category_loss


@MODELS.register_module()
class AVELWeaklyClsLoss(WeightedLoss):
    """Weakly supervised classification loss of CPSP.

    ``MultiLabelSoftMargin(video_prob, weak_label)``: the mean over b and c
    of ``-[y log sigmoid(p) + (1 - y) log sigmoid(-p)]`` where ``p`` is the
    softmax probability of the video. The sigmoid on top of the softmax is
    what the published results used.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def _forward(self, video_prob: torch.Tensor,
                 weak_label: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            video_prob (torch.Tensor): Class probabilities of each video
                [B, C].
            weak_label (torch.Tensor): Video labels [B, C], 0/1.

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        return F.multilabel_soft_margin_loss(
            video_prob, weak_label.to(video_prob.dtype))
