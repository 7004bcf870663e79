"""The head contract: scores, one prediction rule, losses.

Every tool (the metrics, ``tools/test.py --dump`` and ``--show-dir``, the
inference API over inputs of any length, the demo) talks to a head through
this contract only, so a new head works with all of them the day it lands.
"""
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmaction.utils import OptConfigType, OptSampleList, SampleList
from mmengine.model import BaseModule

from mmcpsp.datasets.constants import SUPERVISIONS
from mmcpsp.registry import MODELS
from mmcpsp.structures import attach_predictions, stack_field

#: What a neck returns and a head takes, e.g. the fused F, visual Vo and
#: audio Ao [B, T, D] of the PSP neck.
NeckOutputs = Tuple[torch.Tensor, ...]
#: Named scores or labels of a batch, each [B, ...].
TensorDict = Dict[str, torch.Tensor]


class BaseSegmentHead(BaseModule, metaclass=ABCMeta):
    """Base class of mmcpsp's heads (after MMAction2's ``BaseHead``).

    ``loss`` computes the training objective from the neck's outputs.
    Prediction is two public steps, which every tool calls:

    1. :meth:`predict_scores` gives named probabilities: per segment
       [B, T, ...] (:attr:`segment_score_keys`) and per video [B, ...]
       (:attr:`video_score_keys`).
    2. :meth:`predict_labels`, the prediction rule, turns scores into
       labels [B, T, ...] (:attr:`label_keys`) for any number of segments
       T. It takes every score per segment: a video score repeated on each
       segment of its clip (:meth:`expand_scores`).

    :meth:`predict` is step 1, then step 2, with every score and label set
    on the data samples as ``pred_<name>``. ``inference_localizer`` runs a
    model over inputs of any length in windows: it averages each score over
    the windows that cover a segment (a video score counts for every
    segment of its window), then applies step 2 to the averages. The
    metrics and the visualizer read the ``pred_`` fields.

    Args:
        num_classes (int): Number of classes C (background excluded).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    #: The task of the head: ``'avel'`` (one class per segment) or
    #: ``'avvp'`` (audio and visual events per segment and class).
    task: str = ''
    #: Names of the per-segment scores of :meth:`predict_scores` [B, T, ...].
    segment_score_keys: Tuple[str, ...] = ()
    #: Names of its per-video scores [B, ...].
    video_score_keys: Tuple[str, ...] = ()
    #: Names of the labels of :meth:`predict_labels` [B, T, ...].
    label_keys: Tuple[str, ...] = ()

    def __init__(self, num_classes: int,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes

    @property
    def decision_threshold(self) -> Optional[float]:
        """The threshold the rule puts on probabilities (drawn in figures),
        or None when the rule has none."""
        return None

    @property
    def score_keys(self) -> Tuple[str, ...]:
        """Every score name, per-segment ones first."""
        return self.segment_score_keys + self.video_score_keys

    @abstractmethod
    def forward(self, feats: NeckOutputs) -> Any:
        """The raw outputs (logits) of the head: the localizer's
        ``'tensor'`` mode."""

    @abstractmethod
    def loss(self, feats: NeckOutputs,
             data_samples: SampleList) -> TensorDict:
        """The weighted loss terms of a batch; their sum is the objective.

        Args:
            feats (tuple[torch.Tensor]): The outputs of the neck.
            data_samples (list[ActionDataSample]): The batch, with labels.

        Returns:
            dict[str, torch.Tensor]: ``loss_*`` scalars.
        """

    @abstractmethod
    def predict_scores(self, feats: NeckOutputs) -> TensorDict:
        """The probabilities the prediction rule reads.

        Args:
            feats (tuple[torch.Tensor]): The outputs of the neck.

        Returns:
            dict[str, torch.Tensor]: :attr:`segment_score_keys` [B, T, ...]
            and :attr:`video_score_keys` [B, ...].
        """

    @abstractmethod
    def predict_labels(self, scores: TensorDict) -> TensorDict:
        """The prediction rule.

        Args:
            scores (dict[str, torch.Tensor]): Every score of
                :attr:`score_keys` per segment, [B, T, ...]; T is any
                number of segments.

        Returns:
            dict[str, torch.Tensor]: :attr:`label_keys` [B, T, ...].
        """

    def expand_scores(self, scores: TensorDict,
                      num_segments: int) -> TensorDict:
        """Every score per segment: video scores [B, ...] repeated on the
        ``num_segments`` segments of their clip, [B, T, ...] (a view)."""
        expanded = dict(scores)
        for key in self.video_score_keys:
            value = scores[key]
            expanded[key] = value.unsqueeze(1).expand(
                value.shape[0], num_segments, *value.shape[1:])
        return expanded

    def predict(self,
                feats: NeckOutputs,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict a batch: scores, then the rule.

        Args:
            feats (tuple[torch.Tensor]): The outputs of the neck.
            data_samples (list[ActionDataSample], optional): Samples of the
                batch; they receive the predictions and keep their other
                fields. Defaults to None, meaning new samples.

        Returns:
            list[ActionDataSample]: One sample per video with
            ``pred_<name>`` for every score and label.
        """
        scores = {
            key: value.detach()
            for key, value in self.predict_scores(feats).items()
        }
        num_segments = scores[self.segment_score_keys[0]].shape[1]
        labels = self.predict_labels(self.expand_scores(scores, num_segments))
        return attach_predictions(data_samples, {**scores, **labels})

    def gt_field(self,
                 data_samples: SampleList,
                 field: str,
                 device: torch.device,
                 dtype: Optional[torch.dtype] = None,
                 source: str = '') -> torch.Tensor:
        """A label field of the batch, stacked [B, ...] on ``device``.

        Raises:
            ValueError: If a sample lacks it; ``source`` says which dataset
                option provides it.
        """
        stacked = stack_field(data_samples, field, dtype)
        if stacked is None:
            raise ValueError(f'{type(self).__name__} needs {field} in every '
                             f'data sample{source}.')
        return stacked.to(device)

    @staticmethod
    def build_loss(cfg: OptConfigType) -> Optional[nn.Module]:
        """A loss module from its config; None for None (term not used)."""
        return None if cfg is None else MODELS.build(cfg)


class BaseAVELHead(BaseSegmentHead):
    """Base class of the audio-visual event localization heads.

    One class per segment: :attr:`label_keys` is ``('segment_labels',)``,
    long [B, T] with background = C. The per-segment scores include
    ``event_scores`` [B, T], the probability that a segment holds an event,
    which figures draw.

    Args:
        num_classes (int): Number of event classes C.
        supervision (str): ``'fully'`` (segment labels) or ``'weakly'``
            (video labels).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    task = 'avel'
    label_keys = ('segment_labels', )
    #: The threshold the rule puts on ``event_scores``; None when the rule
    #: has none.
    event_threshold: Optional[float] = None

    @property
    def decision_threshold(self) -> Optional[float]:
        """:attr:`event_threshold`."""
        return self.event_threshold

    def __init__(self,
                 num_classes: int,
                 supervision: str,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(num_classes, init_cfg=init_cfg)
        if supervision not in SUPERVISIONS:
            raise ValueError(f'supervision must be one of {SUPERVISIONS}, '
                             f'got {supervision!r}.')
        self.supervision = supervision

    def check_losses(self, fully_only: Dict[str, OptConfigType],
                     weakly_only: Dict[str, OptConfigType]) -> None:
        """Refuse a loss that needs labels the supervision does not give.

        Args:
            fully_only (dict): Loss name -> config, for losses that read
                segment labels.
            weakly_only (dict): Loss name -> config, for losses that learn
                from video labels only.
        """
        unfit: Sequence[Tuple[str, OptConfigType]] = (
            fully_only if self.supervision == 'weakly' else weakly_only
        ).items()
        for name, cfg in unfit:
            if cfg is None:
                continue
            if self.supervision == 'weakly':
                raise ValueError(
                    f'{name} needs segment labels: it is a fully supervised '
                    'loss, remove it from a weakly supervised head.')
            raise ValueError(
                f'{name} learns events from video labels: it is a weakly '
                'supervised loss, remove it from a fully supervised head.')
