from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.utils import OptConfigType, OptSampleList, SampleList
from mmengine.model import BaseModule

from mmcpsp.datasets.constants import SUPERVISIONS
from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    attach_predictions,
    stack_segment_labels,
    stack_video_labels,
)

from ..losses import pair_similarity
from ..utils import event_mask, video_classes_from_segments, weak_labels

#: The outputs of the PSP neck: fused F, visual Vo and audio Ao [B, T, D].
NeckOutputs = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]

_DEFAULT_CLS_LOSSES = dict(
    fully='AVELFullyClsLoss', weakly='AVELWeaklyClsLoss')


@MODELS.register_module()
class CPSPHead(BaseModule):
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
        super().__init__(init_cfg=init_cfg)
        if supervision not in SUPERVISIONS:
            raise ValueError(f'supervision must be one of {SUPERVISIONS}, '
                             f'got {supervision!r}.')
        if supervision == 'weakly':
            for name, cfg in (('loss_avpsp', loss_avpsp),
                              ('loss_spsa', loss_spsa)):
                if cfg is not None:
                    raise ValueError(
                        f'{name} needs segment labels: it is a fully '
                        'supervised loss, remove it from a weakly supervised '
                        'head.')
        elif loss_mil is not None:
            raise ValueError(
                'loss_mil learns events from video labels: it is a weakly '
                'supervised loss, remove it from a fully supervised head.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.supervision = supervision
        self.background_own_class = background_own_class
        self.event_threshold = event_threshold
        self.event_classifier = nn.Linear(in_channels, 1)
        self.category_classifier = nn.Linear(in_channels, num_classes)
        if loss_cls is None:
            loss_cls = dict(type=_DEFAULT_CLS_LOSSES[supervision])
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_avpsp = self._build_optional(loss_avpsp)
        self.loss_spsa = self._build_optional(loss_spsa)
        self.loss_vpsa = self._build_optional(loss_vpsa)
        self.loss_sspsp = self._build_optional(loss_sspsp)
        self.loss_mil = self._build_optional(loss_mil)

    @staticmethod
    def _build_optional(cfg: OptConfigType) -> Optional[nn.Module]:
        return None if cfg is None else MODELS.build(cfg)

    def forward(self,
                fused: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Score the segments and classify the video.

        Args:
            fused (torch.Tensor): Fused features F [B, T, D].

        Returns:
            tuple[torch.Tensor, torch.Tensor]: Event logits [B, T] and
            category logits [B, C].
        """
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

    def _segment_labels(self, data_samples: SampleList,
                        device: torch.device) -> torch.Tensor:
        segment_labels = stack_segment_labels(data_samples)
        if segment_labels is None:
            raise ValueError(
                'Fully supervised CPSPHead needs gt_segment_labels in every '
                'data sample.')
        return segment_labels.to(device)

    def _video_labels(self, data_samples: SampleList,
                      device: torch.device) -> torch.Tensor:
        video_labels = stack_video_labels(data_samples)
        if video_labels is None:
            raise ValueError(
                'Weakly supervised CPSPHead needs gt_video_label in every '
                'data sample.')
        return video_labels.to(device)

    def loss(self, neck_outputs: NeckOutputs,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Compute the training objective.

        Args:
            neck_outputs (tuple[torch.Tensor]): Fused F, visual Vo and audio
                Ao, each [B, T, D].
            data_samples (list[ActionDataSample]): Samples carrying
                ``gt_segment_labels`` (fully) or ``gt_video_label`` (weakly).

        Returns:
            dict[str, torch.Tensor]: ``loss_cls`` and the configured terms
            among ``loss_avpsp``, ``loss_spsa``, ``loss_vpsa``,
            ``loss_sspsp`` and ``loss_mil``, each already weighted; their
            sum is the objective.
        """
        fused, visual_out, audio_out = neck_outputs
        event_logits, category_logits = self(fused)
        losses = dict()
        if self.supervision == 'fully':
            segment_labels = self._segment_labels(data_samples, fused.device)
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
            video_labels = self._video_labels(data_samples, fused.device)
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

    def predict_segment_labels(self, event_logits: torch.Tensor,
                               category_logits: torch.Tensor) -> torch.Tensor:
        """Apply the CPSP prediction rule.

        Args:
            event_logits (torch.Tensor): Event logits [B, T].
            category_logits (torch.Tensor): Category logits [B, C].

        Returns:
            torch.Tensor: Class per segment [B, T], long: the argmax category
            where ``sigmoid(event_logit) > event_threshold``, else C.
        """
        is_event = torch.sigmoid(event_logits) > self.event_threshold
        video_classes = category_logits.argmax(dim=-1, keepdim=True)
        return torch.where(is_event, video_classes,
                           torch.full_like(video_classes, self.num_classes))

    def predict(self,
                neck_outputs: NeckOutputs,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict the class of every segment.

        Args:
            neck_outputs (tuple[torch.Tensor]): Fused F, visual Vo and audio
                Ao, each [B, T, D].
            data_samples (list[ActionDataSample], optional): Samples of the
                batch; they receive the predictions and keep their other
                fields. Defaults to None, meaning new samples.

        Returns:
            list[ActionDataSample]: One sample per video with
            ``pred_segment_labels`` [T] (long, background = C),
            ``pred_event_scores`` [T] and ``pred_category_scores`` [C].
        """
        event_logits, category_logits = self(neck_outputs[0])
        event_logits = event_logits.detach()
        category_logits = category_logits.detach()
        segment_labels = self.predict_segment_labels(event_logits,
                                                     category_logits)
        event_scores = torch.sigmoid(event_logits)
        category_scores = F.softmax(category_logits, dim=-1)
        return attach_predictions(data_samples, segment_labels,
                                  event_scores, category_scores)
