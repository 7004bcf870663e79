from typing import Dict, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.utils import OptConfigType, SampleList

from mmcpsp.registry import MODELS
from mmcpsp.structures import GT_SEGMENT_LABELS, GT_VIDEO_LABEL

from ..losses import pair_similarity
from ..utils import event_mask, video_classes_from_segments, weak_labels
from .base import BaseAVELHead, NeckOutputs, TensorDict

_DEFAULT_CLS_LOSSES = dict(
    fully='AVELFullyClsLoss', weakly='AVELWeaklyClsLoss')


@MODELS.register_module()
class CPSPHead(BaseAVELHead):
    """Event and category heads of CPSP, owning the training objective.

    ``event_logits = Linear(F)`` [B, T] scores each segment as event or
    background; ``category_logits = Linear(mean_t F)`` [B, C] classifies the
    video. A segment is predicted as the argmax category when the sigmoid
    of its event logit is strictly above ``event_threshold``, otherwise as
    background (index C).

    Fully supervised training reads ``gt_segment_labels`` (class per
    segment, background = C) of the data samples; weakly supervised training
    reads ``gt_video_label`` (C for a background-only video) and classifies
    ``video_prob = softmax_c(max_t sigmoid(event_logits_t) *
    category_logits_c)``. A background-only video (``use_noisy``) has an
    all-zero weak label; mmcpsp's extension for such videos, off by default
    (``configs/cpsp_weakly_noisy_ave.py`` turns it on), makes it a class of
    its own (C) for ``loss_vpsa`` instead of a class-0 positive
    (``background_own_class``) and teaches the event head from it
    (``loss_mil``).

    Args:
        num_classes (int): Number of event classes C (background excluded).
        in_channels (int): Channels of the fused features. Defaults to 256.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        loss_cls (dict, optional): Classification loss. Defaults to None,
            meaning ``AVELFullyClsLoss`` or ``AVELWeaklyClsLoss`` according
            to ``supervision``.
        loss_avpsp (dict, optional): Pair similarity loss, fully supervised
            only. Defaults to None (not used).
        loss_spsa (dict, optional): Segment-level contrastive loss, fully
            supervised only. Defaults to None (not used).
        loss_vpsa (dict, optional): Video-level contrastive loss.
            Defaults to None (not used).
        loss_sspsp (dict, optional): Self-supervised audio-visual loss.
            Defaults to None (not used).
        loss_mil (dict, optional): Multiple-instance loss of the event head
            (e.g. ``EventMILLoss``), weakly supervised only.
            Defaults to None (not used).
        background_own_class (bool): Weakly supervised: give a
            background-only video its own class C in ``loss_vpsa``. False
            follows the published rule, the argmax of its all-zero weak
            label: class 0 (method.md section 3). Defaults to False.
        event_threshold (float): A segment is an event when the sigmoid of
            its logit is strictly above it. Defaults to 0.5.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    segment_score_keys = ('event_scores', )
    video_score_keys = ('category_scores', )

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 256,
                 supervision: str = 'fully',
                 loss_cls: OptConfigType = None,
                 loss_avpsp: OptConfigType = None,
                 loss_spsa: OptConfigType = None,
                 loss_vpsa: OptConfigType = None,
                 loss_sspsp: OptConfigType = None,
                 loss_mil: OptConfigType = None,
                 background_own_class: bool = False,
                 event_threshold: float = 0.5,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(num_classes, supervision, init_cfg=init_cfg)
        self.check_losses(
            fully_only=dict(loss_avpsp=loss_avpsp, loss_spsa=loss_spsa),
            weakly_only=dict(loss_mil=loss_mil))
        self.in_channels = in_channels
        self.background_own_class = background_own_class
        self.event_threshold = event_threshold
        self.event_classifier = nn.Linear(in_channels, 1)
        self.category_classifier = nn.Linear(in_channels, num_classes)
        if loss_cls is None:
            loss_cls = dict(type=_DEFAULT_CLS_LOSSES[supervision])
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_avpsp = self.build_loss(loss_avpsp)
        self.loss_spsa = self.build_loss(loss_spsa)
        self.loss_vpsa = self.build_loss(loss_vpsa)
        self.loss_sspsp = self.build_loss(loss_sspsp)
        self.loss_mil = self.build_loss(loss_mil)

    def forward(
        self, feats: Union[NeckOutputs, torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Score the segments and classify the video.

        Args:
            feats (tuple[torch.Tensor] | torch.Tensor): The outputs of the
                PSP neck, or the fused features F [B, T, D] alone.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: Event logits [B, T] and
            category logits [B, C].
        """
        fused = feats if isinstance(feats, torch.Tensor) else feats[0]
        event_logits = self.event_classifier(fused).squeeze(-1)
        category_logits = self.category_classifier(fused.mean(dim=1))
        return event_logits, category_logits

    @staticmethod
    def video_prob(event_logits: torch.Tensor,
                   category_logits: torch.Tensor) -> torch.Tensor:
        """Class probabilities of each video, for weak supervision.

        Args:
            event_logits (torch.Tensor): Event logits [B, T].
            category_logits (torch.Tensor): Category logits [B, C].

        Returns:
            torch.Tensor: ``softmax_c(max_t sigmoid(event_logits_t) *
            category_logits_c)`` [B, C].
        """
        segment_class_logits = (
            torch.sigmoid(event_logits).unsqueeze(-1) *
            category_logits.unsqueeze(1))  # [B, T, C]
        return F.softmax(segment_class_logits.max(dim=1).values, dim=-1)

    def loss(self, feats: NeckOutputs,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Compute the training objective.

        Args:
            feats (tuple[torch.Tensor]): Fused F, visual Vo and audio Ao of
                the PSP neck, each [B, T, D].
            data_samples (list[ActionDataSample]): Samples carrying
                ``gt_segment_labels`` (fully) or ``gt_video_label`` (weakly).

        Returns:
            dict[str, torch.Tensor]: ``loss_cls`` and the configured terms
            among ``loss_avpsp``, ``loss_spsa``, ``loss_vpsa``,
            ``loss_sspsp`` and ``loss_mil``, each already weighted; their
            sum is the objective.
        """
        fused, visual_out, audio_out = feats
        event_logits, category_logits = self(fused)
        losses = dict()
        if self.supervision == 'fully':
            segment_labels = self.gt_field(data_samples, GT_SEGMENT_LABELS,
                                           fused.device, torch.long)
            events = event_mask(segment_labels, self.num_classes)
            video_classes = video_classes_from_segments(
                segment_labels, self.num_classes)
            losses['loss_cls'] = self.loss_cls(event_logits, category_logits,
                                               events, video_classes)
            if self.loss_avpsp is not None:
                losses['loss_avpsp'] = self.loss_avpsp(
                    pair_similarity(visual_out, audio_out), events)
            if self.loss_spsa is not None:
                losses['loss_spsa'] = self.loss_spsa(fused, events)
        else:
            video_labels = self.gt_field(data_samples, GT_VIDEO_LABEL,
                                         fused.device, torch.long)
            losses['loss_cls'] = self.loss_cls(
                self.video_prob(event_logits, category_logits),
                weak_labels(video_labels, self.num_classes))
            video_classes = video_labels
            if not self.background_own_class:
                # The argmax of an all-zero weak label, as published.
                video_classes = torch.where(
                    video_labels < self.num_classes, video_labels,
                    torch.zeros_like(video_labels))
            if self.loss_mil is not None:
                losses['loss_mil'] = self.loss_mil(
                    event_logits, video_labels != self.num_classes)
        if self.loss_vpsa is not None:
            losses['loss_vpsa'] = self.loss_vpsa(fused, video_classes)
        if self.loss_sspsp is not None:
            losses['loss_sspsp'] = self.loss_sspsp(audio_out, visual_out)
        return losses

    def predict_scores(self, feats: NeckOutputs) -> TensorDict:
        """Event probabilities and the video's category probabilities.

        Args:
            feats (tuple[torch.Tensor]): The outputs of the PSP neck.

        Returns:
            dict[str, torch.Tensor]: ``event_scores`` [B, T], the sigmoid
            of the event logits, and ``category_scores`` [B, C], the
            softmax of the category logits.
        """
        event_logits, category_logits = self(feats)
        return dict(
            event_scores=torch.sigmoid(event_logits),
            category_scores=F.softmax(category_logits, dim=-1))

    def predict_labels(self, scores: TensorDict) -> TensorDict:
        """The CPSP rule: the best category where the segment is an event.

        Args:
            scores (dict[str, torch.Tensor]): ``event_scores`` [B, T] and
                ``category_scores`` [B, T, C] (the video's, per segment).

        Returns:
            dict[str, torch.Tensor]: ``segment_labels`` [B, T], long: the
            argmax category where ``event_scores > event_threshold``
            (strictly), else background C.
        """
        is_event = scores['event_scores'] > self.event_threshold
        categories = scores['category_scores'].argmax(dim=-1)
        return dict(segment_labels=torch.where(
            is_event, categories, torch.full_like(categories,
                                                  self.num_classes)))
