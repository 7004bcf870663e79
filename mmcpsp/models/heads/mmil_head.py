from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmaction.utils import OptConfigType, SampleList

from mmcpsp.registry import MODELS
from mmcpsp.structures import GT_WEAK_LABEL

from .base import BaseSegmentHead, NeckOutputs, TensorDict

#: What filters the per-segment predictions of a class: its modality
#: probability (CPSP) or its global probability (HAN).
FILTERS = ('modality', 'global')

#: The outputs of the attentive MMIL pooling: frame probabilities p
#: [B, T, 2, C], global g, audio g_a and visual g_v probabilities [B, C].
MMILOutputs = Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


@MODELS.register_module()
class MMILHead(BaseSegmentHead):
    """Attentive multimodal multiple-instance learning (MMIL) head.

    The head of both video parsing networks (PSP-MMIL of CPSP and HAN).
    From the audio and visual features, ``x = stack(F_a, F_v)`` on a
    modality axis [B, T, 2, d]: frame probabilities ``p =
    sigmoid(Linear(x))`` [B, T, 2, C], temporal attention ``w = softmax_t
    Linear(x)``, modality attention ``u = softmax_m Linear(x)``; the global
    probability ``g = sum_{t, m} w p u`` and the modality probabilities
    ``g_a = sum_t (w p)[:, :, 0]``, ``g_v = sum_t (w p)[:, :, 1]`` [B, C].

    Scores: ``audio`` = p[:, :, 0] and ``visual`` = p[:, :, 1] [B, T, C];
    ``global``, ``audio_global``, ``visual_global`` = g, g_a, g_v [B, C].
    Rule (``>= score_threshold`` everywhere): a class is heard in a segment
    when its audio score and its filter pass, seen likewise with its
    visual score; the filter is g_a (audio) and g_v (visual) for
    ``filter_by='modality'`` (CPSP), g for both with ``'global'`` (HAN).

    Training reads ``gt_weak_label`` [C] (0/1) of the data samples.

    Args:
        num_classes (int): Number of event classes C. Defaults to 25.
        in_channels (int): Width d of the features. Defaults to 512.
        loss_bce (dict, optional): The BCE terms on g, g_a and g_v.
            Defaults to None, meaning ``dict(type='MMILBCELoss')``.
        loss_seg (dict, optional): Segment contrastive loss (e.g.
            ``SegmentContrastLoss``) of the audio features against the
            visual inputs of the neck. Defaults to None (not used).
        loss_vcon (dict, optional): Video contrastive loss (e.g.
            ``VconInfoLoss``) of the head's input x. Defaults to None (not
            used).
        filter_by (str): ``'modality'`` or ``'global'``.
            Defaults to ``'modality'``.
        score_threshold (float): A probability passes when ``>=`` it.
            Defaults to 0.5.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    task = 'avvp'
    segment_score_keys = ('audio', 'visual')
    video_score_keys = ('global', 'audio_global', 'visual_global')
    label_keys = ('audio_labels', 'visual_labels')

    def __init__(self,
                 num_classes: int = 25,
                 in_channels: int = 512,
                 loss_bce: OptConfigType = None,
                 loss_seg: OptConfigType = None,
                 loss_vcon: OptConfigType = None,
                 filter_by: str = 'modality',
                 score_threshold: float = 0.5,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(num_classes, init_cfg=init_cfg)
        if filter_by not in FILTERS:
            raise ValueError(f'filter_by must be one of {FILTERS}, got '
                             f'{filter_by!r}.')
        self.in_channels = in_channels
        self.filter_by = filter_by
        self.score_threshold = score_threshold
        self.frame_classifier = nn.Linear(in_channels, num_classes)
        self.temporal_attention = nn.Linear(in_channels, num_classes)
        self.modality_attention = nn.Linear(in_channels, num_classes)
        self.loss_bce = MODELS.build(
            dict(type='MMILBCELoss') if loss_bce is None else loss_bce)
        self.loss_seg = self.build_loss(loss_seg)
        self.loss_vcon = self.build_loss(loss_vcon)

    @property
    def decision_threshold(self) -> float:
        """:attr:`score_threshold`, on every probability the rule reads."""
        return self.score_threshold

    @staticmethod
    def mmil_inputs(feats: NeckOutputs) -> torch.Tensor:
        """The input x of the head: the audio and visual features of the
        neck, stacked on a modality axis, [B, T, 2, d]."""
        audio_feats, visual_feats = feats[:2]
        return torch.stack([audio_feats, visual_feats], dim=2)

    def pool(self, mmil_inputs: torch.Tensor) -> MMILOutputs:
        """Attentive MMIL pooling.

        Args:
            mmil_inputs (torch.Tensor): x [B, T, 2, d].

        Returns:
            tuple[torch.Tensor]: Frame probabilities p [B, T, 2, C], global
            g, audio g_a and visual g_v probabilities [B, C].
        """
        frame_probs = torch.sigmoid(self.frame_classifier(mmil_inputs))
        temporal_weights = torch.softmax(
            self.temporal_attention(mmil_inputs), dim=1)
        modality_weights = torch.softmax(
            self.modality_attention(mmil_inputs), dim=2)
        temporal_probs = temporal_weights * frame_probs
        global_probs = (temporal_probs * modality_weights).sum(dim=2).sum(
            dim=1)
        audio_global_probs = temporal_probs[:, :, 0].sum(dim=1)
        visual_global_probs = temporal_probs[:, :, 1].sum(dim=1)
        return (frame_probs, global_probs, audio_global_probs,
                visual_global_probs)

    def forward(self, feats: NeckOutputs) -> MMILOutputs:
        """The MMIL outputs (the localizer's ``'tensor'`` mode).

        Args:
            feats (tuple[torch.Tensor]): Audio features, visual features
                (and visual inputs) of the neck, each [B, T, d].

        Returns:
            tuple[torch.Tensor]: See :meth:`pool`.
        """
        return self.pool(self.mmil_inputs(feats))

    def loss(self, feats: NeckOutputs,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Compute the training objective.

        Args:
            feats (tuple[torch.Tensor]): Audio features, visual features
                and visual inputs of the neck, each [B, T, d].
            data_samples (list[ActionDataSample]): Samples carrying
                ``gt_weak_label`` [C].

        Returns:
            dict[str, torch.Tensor]: The terms of ``loss_bce``
            (``loss_audio``, ``loss_visual``, ``loss_global``) and, when
            configured, ``loss_seg`` and ``loss_vcon``, each already
            weighted; their sum is the objective.
        """
        audio_feats, _, visual_inputs = feats
        mmil_inputs = self.mmil_inputs(feats)
        _, global_probs, audio_global_probs, visual_global_probs = self.pool(
            mmil_inputs)
        weak_label = self.gt_field(data_samples, GT_WEAK_LABEL,
                                   audio_feats.device, audio_feats.dtype)
        losses = dict(
            self.loss_bce(global_probs, audio_global_probs,
                          visual_global_probs, weak_label))
        if self.loss_seg is not None:
            losses['loss_seg'] = self.loss_seg(audio_feats, visual_inputs)
        if self.loss_vcon is not None:
            losses['loss_vcon'] = self.loss_vcon(mmil_inputs, weak_label)
        return losses

    def predict_scores(self, feats: NeckOutputs) -> TensorDict:
        """The frame, global and modality probabilities.

        Args:
            feats (tuple[torch.Tensor]): The outputs of the neck.

        Returns:
            dict[str, torch.Tensor]: ``audio``, ``visual`` [B, T, C] and
            ``global``, ``audio_global``, ``visual_global`` [B, C].
        """
        frame_probs, global_probs, audio_global_probs, visual_global_probs = (
            self(feats))
        return {
            'audio': frame_probs[:, :, 0],
            'visual': frame_probs[:, :, 1],
            'global': global_probs,
            'audio_global': audio_global_probs,
            'visual_global': visual_global_probs,
        }

    def predict_labels(self, scores: TensorDict) -> TensorDict:
        """Audio and visual events of every segment and class.

        Args:
            scores (dict[str, torch.Tensor]): ``audio``, ``visual`` and the
                video scores per segment, each [B, T, C].

        Returns:
            dict[str, torch.Tensor]: ``audio_labels`` and ``visual_labels``
            [B, T, C], long 0/1.
        """
        if self.filter_by == 'modality':
            audio_filter = scores['audio_global']
            visual_filter = scores['visual_global']
        else:
            audio_filter = visual_filter = scores['global']
        threshold = self.score_threshold
        return dict(
            audio_labels=((scores['audio'] >= threshold) &
                          (audio_filter >= threshold)).long(),
            visual_labels=((scores['visual'] >= threshold) &
                           (visual_filter >= threshold)).long())
