import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from .base import WeightedLoss


@MODELS.register_module()
class EventMILLoss(WeightedLoss):
    """Multiple-instance loss of the event head, for weak supervision.

    mmcpsp's extension beyond the paper, so that weakly supervised training
    learns background from background-only videos: for each video, the
    largest event probability over its segments,
    ``max_t sigmoid(event_logits_t)``, is scored by binary cross-entropy
    against 1 for a video with an event label and 0 for a background-only
    one, averaged over the batch. A labelled video then holds at least one
    event segment and a background-only video none.

    The published weak loss cannot do this: it gives a background-only video
    an all-zero target over a softmax that always sums to 1, so nothing
    lowers its event scores.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def _forward(self, event_logits: torch.Tensor,
                 has_event: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            event_logits (torch.Tensor): Event logits [B, T].
            has_event (torch.Tensor): Whether each video has an event label
                [B], bool or 0/1 (0 for a background-only video).

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        # sigmoid is increasing, so max_t sigmoid(x_t) = sigmoid(max_t x_t);
        # the logit form is the numerically stable one.
        video_logits = event_logits.max(dim=1).values
        return F.binary_cross_entropy_with_logits(
            video_logits, has_event.to(event_logits.dtype))
