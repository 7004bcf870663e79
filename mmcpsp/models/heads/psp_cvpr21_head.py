from typing import Dict, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.utils import OptConfigType, SampleList

from mmcpsp.registry import MODELS
from mmcpsp.structures import GT_SEGMENT_LABELS, GT_VIDEO_PROB_LABEL

from ..losses import pair_similarity
from ..utils import event_mask
from .base import BaseAVELHead, NeckOutputs, TensorDict

_DEFAULT_CLS_LOSSES = dict(fully='SegmentCELoss', weakly='VideoBCELoss')


@MODELS.register_module()
class PSPCVPR21Head(BaseAVELHead):
    """Segment classifier of PSP as released with the CVPR 2021 paper.

    One MLP scores every segment over C + 1 classes, background included:
    ``s_t = W_2 ReLU(W_1 F_t)`` [B, T, C + 1] (both layers without bias),
    and a segment is predicted as ``argmax_c s_t`` (background = C).

    - Fully supervised: ``SegmentCELoss`` (cross-entropy over C + 1 for
      every segment) plus, when configured, the pair loss ``loss_avpsp``.
    - Weakly supervised: a temporal gate ``w_t = sigmoid(ReLU(u . s_t))``
      (``u``: Linear(C + 1 -> 1), no bias) rescales the scores,
      ``s_t <- w_t s_t``; the video prediction is
      ``softmax_c(mean_t s_t)`` [B, C + 1], scored by ``VideoBCELoss``
      against ``gt_video_prob_label``, the normalised weak label.

    This differs from the "PSP" of the CPSP codebase (``CPSPHead`` without
    the contrastive terms), whose event and category heads are separate.

    Args:
        num_classes (int): Number of event classes C (background excluded).
        in_channels (int): Channels of the fused features. Defaults to 256.
        hidden_channels (int): Width of the MLP's hidden layer.
            Defaults to 64.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        loss_cls (dict, optional): Classification loss. Defaults to None,
            meaning ``SegmentCELoss`` or ``VideoBCELoss`` according to
            ``supervision``.
        loss_avpsp (dict, optional): Pair similarity loss, fully supervised
            only. Defaults to None (not used).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    segment_score_keys = ('class_scores', 'event_scores')

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 256,
                 hidden_channels: int = 64,
                 supervision: str = 'fully',
                 loss_cls: OptConfigType = None,
                 loss_avpsp: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(num_classes, supervision, init_cfg=init_cfg)
        self.check_losses(
            fully_only=dict(loss_avpsp=loss_avpsp), weakly_only=dict())
        self.segment_hidden = nn.Linear(
            in_channels, hidden_channels, bias=False)
        self.segment_classifier = nn.Linear(
            hidden_channels, num_classes + 1, bias=False)
        # As released: xavier for the MLP, torch's default for the gate.
        nn.init.xavier_uniform_(self.segment_hidden.weight)
        nn.init.xavier_uniform_(self.segment_classifier.weight)
        self.temporal_gate = (
            nn.Linear(num_classes + 1, 1, bias=False)
            if supervision == 'weakly' else None)
        if loss_cls is None:
            loss_cls = dict(type=_DEFAULT_CLS_LOSSES[supervision])
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_avpsp = self.build_loss(loss_avpsp)

    def forward(self, feats: Union[NeckOutputs,
                                   torch.Tensor]) -> torch.Tensor:
        """Score every segment over C + 1 classes.

        Args:
            feats (tuple[torch.Tensor] | torch.Tensor): The outputs of the
                PSP neck, or the fused features F [B, T, D] alone.

        Returns:
            torch.Tensor: Segment logits [B, T, C + 1], gated when weakly
            supervised.
        """
        fused = feats if isinstance(feats, torch.Tensor) else feats[0]
        segment_logits = self.segment_classifier(
            F.relu(self.segment_hidden(fused)))
        if self.temporal_gate is not None:
            gate = torch.sigmoid(F.relu(self.temporal_gate(segment_logits)))
            segment_logits = segment_logits * gate  # gate: [B, T, 1]
        return segment_logits

    @staticmethod
    def video_prob(segment_logits: torch.Tensor) -> torch.Tensor:
        """Class probabilities of each video, for weak supervision.

        Args:
            segment_logits (torch.Tensor): Gated logits [B, T, C + 1].

        Returns:
            torch.Tensor: ``softmax_c(mean_t segment_logits)`` [B, C + 1].
        """
        return F.softmax(segment_logits.mean(dim=1), dim=-1)

    def loss(self, feats: NeckOutputs,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Compute the training objective.

        Args:
            feats (tuple[torch.Tensor]): Fused F, visual Vo and audio Ao of
                the PSP neck, each [B, T, D].
            data_samples (list[ActionDataSample]): Samples carrying
                ``gt_segment_labels`` (fully) or ``gt_video_prob_label``
                (weakly; AVEDataset gives it with ``with_prob_label=True``).

        Returns:
            dict[str, torch.Tensor]: ``loss_cls`` and, when configured,
            ``loss_avpsp``, each already weighted.
        """
        fused, visual_out, audio_out = feats
        segment_logits = self(fused)
        if self.supervision == 'weakly':
            prob_labels = self.gt_field(
                data_samples, GT_VIDEO_PROB_LABEL, fused.device,
                source=' (AVEDataset with_prob_label=True)')
            return dict(loss_cls=self.loss_cls(
                self.video_prob(segment_logits), prob_labels))
        segment_labels = self.gt_field(data_samples, GT_SEGMENT_LABELS,
                                       fused.device, torch.long)
        losses = dict(loss_cls=self.loss_cls(segment_logits, segment_labels))
        if self.loss_avpsp is not None:
            losses['loss_avpsp'] = self.loss_avpsp(
                pair_similarity(visual_out, audio_out),
                event_mask(segment_labels, self.num_classes))
        return losses

    def predict_scores(self, feats: NeckOutputs) -> TensorDict:
        """The class probabilities of every segment.

        Args:
            feats (tuple[torch.Tensor]): The outputs of the PSP neck.

        Returns:
            dict[str, torch.Tensor]: ``class_scores`` [B, T, C + 1], the
            softmax of the segment logits (background last), and
            ``event_scores`` [B, T], one minus the background probability.
        """
        class_scores = F.softmax(self(feats), dim=-1)
        return dict(
            class_scores=class_scores, event_scores=1 - class_scores[..., -1])

    def predict_labels(self, scores: TensorDict) -> TensorDict:
        """The released rule: the most probable of the C + 1 classes.

        Args:
            scores (dict[str, torch.Tensor]): ``class_scores``
                [B, T, C + 1] (and ``event_scores``, unused).

        Returns:
            dict[str, torch.Tensor]: ``segment_labels`` [B, T], long,
            background = C.
        """
        return dict(segment_labels=scores['class_scores'].argmax(dim=-1))
