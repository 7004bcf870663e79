import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from .base import WeightedLoss

#: Floor of the squared distance between two video features.
SQUARED_DISTANCE_FLOOR = 1e-12
#: Distance given to the missing negatives of a video.
MISSING_NEGATIVE_DISTANCE = 1e12


@MODELS.register_module()
class SegmentPSALoss(WeightedLoss):
    """Segment-level positive sample activation loss (L_spsa, PSA_S).

    Within each video, with ``z`` the L2-normalised fused features,
    ``M_ij = exp(z_i . z_j / tau)``, P the event and N the background
    segments, every anchor ``i`` in P contributes
    ``-log(sum_{j in P} M_ij / (sum_{j in P} M_ij + mean_{k in N} M_ik))``.
    The loss of a video is the mean over its anchors (0 without
    background); the loss of the batch is the mean over the videos with at
    least one event, and 0 when there is none. Unlike the published release,
    whose variant of this loss has an identically zero gradient, it trains
    the features.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 0.01.
        tau (float): Temperature. Defaults to 0.6.
    """

    def __init__(self, loss_weight: float = 0.01, tau: float = 0.6) -> None:
        super().__init__(loss_weight)
        self.tau = tau

    def _forward(self, fused: torch.Tensor,
                 event_mask: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            fused (torch.Tensor): Fused features F [B, T, D].
            event_mask (torch.Tensor): Event mask e [B, T], bool or 0/1.

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        feats = F.normalize(fused, dim=-1)
        affinity = torch.exp(
            torch.bmm(feats, feats.transpose(1, 2)) / self.tau)  # [B, T, T]
        is_event = event_mask.bool()
        events = is_event.to(fused.dtype)
        backgrounds = 1 - events
        positive_sum = (affinity * events.unsqueeze(1)).sum(dim=-1)  # [B, T]
        num_backgrounds = backgrounds.sum(dim=-1)  # [B]
        negative_mean = (affinity * backgrounds.unsqueeze(1)).sum(
            dim=-1) / num_backgrounds.clamp(min=1).unsqueeze(1)  # [B, T]
        ratio = positive_sum / (positive_sum + negative_mean)
        # Background rows are not anchors: their ratio is replaced before the
        # log so that neither the loss nor its gradient sees them.
        anchor_losses = -torch.log(
            torch.where(is_event, ratio, torch.ones_like(ratio)))
        num_events = events.sum(dim=-1)  # [B]
        video_losses = anchor_losses.sum(dim=-1) / num_events.clamp(min=1)
        video_losses = torch.where(num_backgrounds > 0, video_losses,
                                   torch.zeros_like(video_losses))
        has_event = (num_events > 0).to(fused.dtype)
        loss = (video_losses * has_event).sum() / has_event.sum().clamp(min=1)
        return loss


@MODELS.register_module()
class VideoPSALoss(WeightedLoss):
    """Video-level positive sample activation loss (L_vpsa, PSA_V).

    ``g_b`` is the mean over t of the L2-normalised fused features of video
    b (not normalised again) and
    ``d_ab = sqrt(max(|g_a|^2 + |g_b|^2 - 2 g_a . g_b, 1e-12))``. The hardest
    positive ``d+_a`` is the largest ``d_ab`` over the videos of the same
    class, a itself included; ``d-_a`` is the mean of the ``topk`` smallest
    ``d_ab`` over the videos of another class, missing ones counted as 1e12.
    The loss is the mean over a of ``max(0, d+_a - d-_a + margin)``.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        margin (float): Margin (0.2 fully, 0.6 weakly supervised).
            Defaults to 0.2.
        topk (int): Number K of nearest negatives (3 fully, 4 weakly
            supervised). Defaults to 3.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 margin: float = 0.2,
                 topk: int = 3) -> None:
        super().__init__(loss_weight)
        self.margin = margin
        self.topk = topk

    def _forward(self, fused: torch.Tensor,
                 video_classes: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            fused (torch.Tensor): Fused features F [B, T, D].
            video_classes (torch.Tensor): Class of each video [B], long.

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``).
        """
        video_feats = F.normalize(fused, dim=-1).mean(dim=1)  # [B, D]
        squared_norms = (video_feats * video_feats).sum(dim=-1)
        squared_dists = (
            squared_norms.unsqueeze(1) + squared_norms.unsqueeze(0) -
            2 * (video_feats @ video_feats.t()))
        dists = squared_dists.clamp(min=SQUARED_DISTANCE_FLOOR).sqrt()

        same_class = video_classes.unsqueeze(1) == video_classes.unsqueeze(0)
        hardest_positive = dists.masked_fill(~same_class,
                                             float('-inf')).max(dim=1).values
        negative_dists = dists.masked_fill(same_class,
                                           MISSING_NEGATIVE_DISTANCE)
        num_missing_columns = self.topk - negative_dists.shape[1]
        if num_missing_columns > 0:
            negative_dists = F.pad(
                negative_dists, (0, num_missing_columns),
                value=MISSING_NEGATIVE_DISTANCE)
        nearest_negative = negative_dists.topk(
            self.topk, dim=1, largest=False).values.mean(dim=1)
        return F.relu(hardest_positive - nearest_negative +
                      self.margin).mean()
