import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from .base import WeightedLoss


@MODELS.register_module()
class VconInfoLoss(WeightedLoss):
    """Video-level contrastive loss of CPSP's video parsing network.

    ``z_b`` is the L2-normalised (1e-12 floor) mean over the T segments and
    the 2 modalities of the MMIL head's input of video b, and ``E_ab =
    exp(z_a . z_b / eta)``. With the weak labels y, ``O_ab = y_a . y_b``
    (shared classes): the negatives of anchor a are the videos sharing no
    class with it, its positives those with ``O_ab / |y_a| >= ratio`` (a
    itself included). ``Pos_a`` and ``Neg_a`` are the means of ``E_ab`` over
    them and the loss is the mean over anchors of
    ``-log(Pos_a / (Pos_a + Neg_a))``.

    A batch in which some anchor has no negative (or no positive: an
    all-zero label) gives 0/0: the release then leaves the term out of the
    objective for that batch (``if not torch.isnan(loss)``), and so does
    this loss, returning a zero of the features' graph (0 loss, 0
    gradient, never NaN) while the other terms still count.

    Args:
        loss_weight (float): Weight of the loss (lambda_v). Defaults to 1.0.
        ratio (float): Share of the anchor's classes a positive must hold.
            Defaults to 1.0 (the script's default; its run.sh means 0.9).
        eta (float): Temperature. Defaults to 1.0 (the script's default;
            its run.sh means 0.2).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 ratio: float = 1.0,
                 eta: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.ratio = ratio
        self.eta = eta

    def _forward(self, mmil_inputs: torch.Tensor,
                 weak_label: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            mmil_inputs (torch.Tensor): Input of the MMIL head
                [B, T, 2, D] (audio, then visual).
            weak_label (torch.Tensor): Weak labels y [B, C], 0/1.

        Returns:
            torch.Tensor: The loss, a scalar (``forward`` multiplies it
            by ``loss_weight``); 0 for a batch the term is dropped from.
        """
        weak_label = weak_label.to(mmil_inputs.dtype)
        video_feats = F.normalize(mmil_inputs.mean(dim=2).mean(dim=1), dim=-1)
        affinity = torch.exp(video_feats @ video_feats.t() / self.eta)
        shared = weak_label @ weak_label.t()  # [B, B]
        negatives = (shared == 0).to(affinity.dtype)
        positives = (shared / weak_label.sum(dim=-1, keepdim=True) >=
                     self.ratio).to(affinity.dtype)
        positive_mean = ((positives * affinity).sum(dim=1) /
                         positives.sum(dim=1))
        negative_mean = ((negatives * affinity).sum(dim=1) /
                         negatives.sum(dim=1))
        loss = -torch.log(positive_mean /
                          (positive_mean + negative_mean)).mean()
        if torch.isnan(loss):
            # The NaN never enters the graph that backward walks.
            return mmil_inputs.sum() * 0
        return loss
