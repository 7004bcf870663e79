from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.utils import OptConfigType, OptSampleList, SampleList
from mmengine.model import BaseModule

from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    attach_predictions,
    stack_segment_labels,
    stack_video_prob_labels,
)

from ..losses import pair_similarity
from ..utils import event_mask

#: The outputs of the PSP neck: fused F, visual Vo and audio Ao [B, T, D].
NeckOutputs = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]

SUPERVISIONS = ('fully', 'weakly')
_DEFAULT_CLS_LOSSES = dict(fully='SegmentCELoss', weakly='VideoBCELoss')


@MODELS.register_module()
class PSPCVPR21Head(BaseModule):
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

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 256,
                 hidden_channels: int = 64,
                 supervision: str = 'fully',
                 loss_cls: OptConfigType = None,
                 loss_avpsp: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if supervision not in SUPERVISIONS:
            raise ValueError(f'supervision must be one of {SUPERVISIONS}, '
                             f'got {supervision!r}.')
        if supervision == 'weakly' and loss_avpsp is not None:
            raise ValueError(
                'loss_avpsp needs segment labels: it is a fully supervised '
                'loss, remove it from a weakly supervised head.')
        self.num_classes = num_classes
        self.supervision = supervision
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
        self.loss_avpsp = (None if loss_avpsp is None else
                           MODELS.build(loss_avpsp))

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        """Score every segment over C + 1 classes.

        Args:
            fused (torch.Tensor): Fused features F [B, T, D].

        Returns:
            torch.Tensor: Segment logits [B, T, C + 1], gated when weakly
            supervised.
        """
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

    @staticmethod
    def _labels(stacked: Optional[torch.Tensor], field: str,
                device: torch.device) -> torch.Tensor:
        if stacked is None:
            raise ValueError(
                f'PSPCVPR21Head needs {field} in every data sample.')
        return stacked.to(device)

    def loss(self, neck_outputs: NeckOutputs,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Compute the training objective.

        Args:
            neck_outputs (tuple[torch.Tensor]): Fused F, visual Vo and audio
                Ao, each [B, T, D].
            data_samples (list[ActionDataSample]): Samples carrying
                ``gt_segment_labels`` (fully) or ``gt_video_prob_label``
                (weakly; AVEDataset gives it with ``with_prob_label=True``).

        Returns:
            dict[str, torch.Tensor]: ``loss_cls`` and, when configured,
            ``loss_avpsp``, each already weighted.
        """
        fused, visual_out, audio_out = neck_outputs
        segment_logits = self(fused)
        if self.supervision == 'weakly':
            prob_labels = self._labels(
                stack_video_prob_labels(data_samples),
                'gt_video_prob_label (AVEDataset with_prob_label=True)',
                fused.device)
            return dict(loss_cls=self.loss_cls(
                self.video_prob(segment_logits), prob_labels))
        segment_labels = self._labels(
            stack_segment_labels(data_samples), 'gt_segment_labels',
            fused.device)
        losses = dict(loss_cls=self.loss_cls(segment_logits, segment_labels))
        if self.loss_avpsp is not None:
            losses['loss_avpsp'] = self.loss_avpsp(
                pair_similarity(visual_out, audio_out),
                event_mask(segment_labels, self.num_classes))
        return losses

    def predict(self,
                neck_outputs: NeckOutputs,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict the class of every segment (argmax over C + 1).

        Args:
            neck_outputs (tuple[torch.Tensor]): Fused F, visual Vo and audio
                Ao, each [B, T, D].
            data_samples (list[ActionDataSample], optional): Samples of the
                batch; they receive the predictions and keep their other
                fields. Defaults to None, meaning new samples.

        Returns:
            list[ActionDataSample]: One sample per video with
            ``pred_segment_labels`` [T] (long, background = C),
            ``pred_event_scores`` [T] (1 - the background probability of
            each segment) and ``pred_category_scores`` [C] (softmax over the
            event classes of the segment logits averaged over t).
        """
        segment_logits = self(neck_outputs[0]).detach()
        segment_labels = segment_logits.argmax(dim=-1)
        event_scores = 1 - F.softmax(segment_logits, dim=-1)[..., -1]
        category_scores = F.softmax(
            segment_logits[..., :-1].mean(dim=1), dim=-1)
        return attach_predictions(data_samples, segment_labels,
                                  event_scores, category_scores)
