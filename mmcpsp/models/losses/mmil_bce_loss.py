from typing import Dict

import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS

from .base import WeightedLoss

#: Video probabilities are clamped to [PROB_EPS, 1 - PROB_EPS] before BCE.
PROB_EPS = 1e-7


@MODELS.register_module()
class MMILBCELoss(WeightedLoss):
    """The three weakly supervised BCE terms of the MMIL head.

    With the weak label y [B, C] (0/1), the global probability g and the
    modality probabilities g_a, g_v [B, C] of the attentive MMIL pooling,
    each first clamped to [1e-7, 1 - 1e-7] (zero gradient where clamped, as
    the release's in-place clamp):
    ``loss_audio = BCE(g_a, a y + (1 - a) / 2)``,
    ``loss_visual = BCE(g_v, v y + (1 - v) / 2)`` and
    ``loss_global = BCE(g, y)``, each torch's mean over B x C. The released
    smoothing (``a = 1``, ``v = 0.9``) leaves the audio target y and gives
    the visual target ``0.9 y + 0.05``.

    Args:
        loss_weight (float): Weight of each term. Defaults to 1.0.
        audio_confidence (float): Smoothing factor a of the audio target.
            Defaults to 1.0.
        visual_confidence (float): Smoothing factor v of the visual target.
            Defaults to 0.9.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 audio_confidence: float = 1.0,
                 visual_confidence: float = 0.9) -> None:
        super().__init__(loss_weight)
        self.audio_confidence = audio_confidence
        self.visual_confidence = visual_confidence

    @staticmethod
    def _bce(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy(
            probs.clamp(min=PROB_EPS, max=1 - PROB_EPS), target)

    def _forward(self, global_probs: torch.Tensor,
                 audio_global_probs: torch.Tensor,
                 visual_global_probs: torch.Tensor,
                 weak_label: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the three terms.

        Args:
            global_probs (torch.Tensor): Global probabilities g [B, C].
            audio_global_probs (torch.Tensor): Audio probabilities g_a
                [B, C].
            visual_global_probs (torch.Tensor): Visual probabilities g_v
                [B, C].
            weak_label (torch.Tensor): Weak labels y [B, C], 0/1.

        Returns:
            dict[str, torch.Tensor]: ``loss_audio``, ``loss_visual`` and
            ``loss_global``, scalars (``forward`` multiplies each by
            ``loss_weight``).
        """
        weak_label = weak_label.to(global_probs.dtype)
        # The release's smoothing towards 0.5, written as it computes it.
        audio_target = (self.audio_confidence * weak_label +
                        (1 - self.audio_confidence) * 0.5)
        visual_target = (self.visual_confidence * weak_label +
                         (1 - self.visual_confidence) * 0.5)
        return dict(
            loss_audio=self._bce(audio_global_probs, audio_target),
            loss_visual=self._bce(visual_global_probs, visual_target),
            loss_global=self._bce(global_probs, weak_label))
