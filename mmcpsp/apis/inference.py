"""Build a localizer from a checkpoint and localize events in any input."""
import math
import os
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict

from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    LocalizationResult,
    class_names_of,
    generic_class_names,
)

from .feature_extractor import AVFeatureExtractor
from .inference_inputs import (
    FeatureInputs,
    InferenceInputs,
    load_feature_inputs,
    raw_video_decoding,
)
from .sliding_window import predict_sliding_windows

ConfigLike = Union[str, Path, Config, None]


def _read_checkpoint(checkpoint: Union[str, Path]) -> Dict[str, Any]:
    # Through mmengine's loader, so that mmcpsp's checkpoint policy
    # (mmcpsp/compat.py) applies here as in tools/test.py.
    loaded = CheckpointLoader.load_checkpoint(
        os.fspath(checkpoint), map_location='cpu')
    if not isinstance(loaded, dict):
        raise RuntimeError(f'{checkpoint} holds no state dict.')
    return loaded


def _config_of(config: ConfigLike,
               checkpoint: Optional[Dict[str, Any]]) -> Config:
    if isinstance(config, Config):
        return config
    if config is not None:
        return Config.fromfile(os.fspath(config))
    text = (checkpoint or {}).get('meta', {}).get('cfg')
    if text is None:
        raise ValueError(
            'No config given and the checkpoint stores none (meta["cfg"] is '
            'written by the training runner): pass the config file.')
    return Config.fromstring(text, file_format='.py')


def _dataset_meta(cfg: Config, checkpoint: Optional[Dict[str, Any]],
                  num_classes: int) -> Dict[str, Any]:
    """Class names of the checkpoint, else of the config, else generic."""
    meta = (checkpoint or {}).get('meta', {}).get('dataset_meta')
    if meta is None:
        dataset = cfg.get('test_dataloader', {}).get('dataset', {})
        metainfo = dataset.get('metainfo') or {}
        if metainfo.get('classes'):
            meta = dict(metainfo)
    if meta is None:
        warnings.warn(
            'Neither the checkpoint (meta["dataset_meta"], saved by the '
            'training runner) nor the config (test_dataloader.dataset.'
            'metainfo.classes) names the classes: they are called "class '
            '0" ... in the results.')
        meta = dict(classes=generic_class_names(num_classes))
    classes = class_names_of(meta)
    if len(classes) != num_classes:
        raise ValueError(
            f'The model predicts {num_classes} classes but its dataset '
            f'metainfo names {len(classes)}.')
    return dict(meta, classes=classes + ('background', ),
                num_classes=num_classes, background_index=num_classes)


def init_localizer(config: ConfigLike,
                   checkpoint: Optional[Union[str, Path]] = None,
                   device: Union[str, torch.device] = 'cpu') -> nn.Module:
    """Build a localizer, load its weights and class names, for inference.

    Args:
        config (str | Path | Config, optional): The config, or None to use
            the one the training runner stored in the checkpoint.
        checkpoint (str | Path, optional): Checkpoint to load. Defaults to
            None (random weights).
        device (str | torch.device): Device of the model. Defaults to
            ``'cpu'``.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and ``dataset_meta``
        (``classes``: the C event classes then ``'background'``,
        ``num_classes``: C) taken from the checkpoint's ``meta``, so that a
        checkpoint alone is enough.
    """
    loaded = None if checkpoint is None else _read_checkpoint(checkpoint)
    cfg = _config_of(config, loaded)
    init_default_scope(cfg.get('default_scope', 'mmcpsp'))
    model = MODELS.build(cfg.model)
    if loaded is not None:
        state_dict = loaded.get('state_dict', loaded)
        load_state_dict(
            model, {
                key[len('module.'):] if key.startswith('module.') else key:
                value
                for key, value in state_dict.items()
            },
            strict=True)
    model.cfg = cfg
    model.dataset_meta = _dataset_meta(cfg, loaded, model.head.num_classes)
    return model.to(device).eval()


def inference_localizer(model: nn.Module,
                        inputs: Union[InferenceInputs, FeatureInputs],
                        window: int = 10,
                        stride: Optional[int] = None,
                        batch_size: int = 16,
                        with_attention: bool = False,
                        extractor: Optional[AVFeatureExtractor] = None
                        ) -> LocalizationResult:
    """Localize audio-visual events in an input of any length.

    Args:
        model (nn.Module): A localizer from :func:`init_localizer`.
        inputs: A video file (decoded as the model's test pipeline does
            for a model that reads raw videos, else read by ``extractor``),
            a features file
            (``.npz`` with ``audio`` [N, Ca] and
            ``visual`` [N, H, W, Cv]), a pair ``(audio, visual)`` of arrays
            or ``.npy`` paths, a dict with ``audio`` and ``visual``, a dict
            with ``data_root`` (AVE-format folder) and ``video_id``, or
            :class:`FeatureInputs`. One row per second.
        window (int): T, seconds per window; the model's training clips
            (10 on AVE). Defaults to 10.
        stride (int, optional): Seconds between windows; overlapping windows
            are averaged. Defaults to None, meaning ``window``.
        batch_size (int): Windows per forward pass. Defaults to 16.
        with_attention (bool): Also return the audio-guided attention map
            of every segment. Defaults to False.
        extractor (AVFeatureExtractor, optional): Reads the features of a
            video input (VGGish and VGG-19 weights). Defaults to None.

    Returns:
        LocalizationResult: Per second: the class (background = C), its
        name and the event probability; the merged events; the annotated
        labels when the input carries them.
    """
    features = inputs if isinstance(inputs, FeatureInputs) else \
        load_feature_inputs(inputs, extractor,
                            raw_video_decoding(getattr(model, 'cfg', None)))
    scores = predict_sliding_windows(
        model,
        features.audio,
        features.visual,
        window=window,
        stride=stride,
        batch_size=batch_size,
        with_attention=with_attention)
    segment_labels = _merged_labels(model, scores['event_scores'],
                                    scores['category_scores'])
    classes = class_names_of(model.dataset_meta)
    attention = scores.get('attention')
    if attention is not None:
        attention = attention.reshape(
            (-1, ) + _region_grid(features.visual, attention.shape[1]))
    return LocalizationResult(
        video=features.name,
        classes=classes,
        segment_labels=segment_labels,
        event_scores=scores['event_scores'],
        category_scores=scores['category_scores'],
        duration=features.duration,
        gt_segment_labels=features.gt_segment_labels(classes),
        attention=attention)


def _region_grid(visual: np.ndarray, num_regions: int) -> Tuple[int, int]:
    """Rows and columns of the R regions the attention weighs."""
    if visual.ndim == 4 and visual.shape[1] * visual.shape[2] == num_regions:
        return tuple(visual.shape[1:3])  # feature maps [N, H, W, Cv]
    # Frames: the backbone's square map (7 x 7 from 224 x 224).
    side = math.isqrt(num_regions)
    if side * side != num_regions:
        raise ValueError(f'Cannot lay {num_regions} attended regions out '
                         'on a square map.')
    return side, side


def _merged_labels(model: nn.Module, event_scores: np.ndarray,
                   category_scores: np.ndarray) -> np.ndarray:
    """The head's prediction rule applied to the averaged probabilities.

    Each segment is passed as a one-segment clip: its event logit
    ``logit(p)`` and its category log-probabilities give the same decision
    as the probabilities themselves, so the rule stays the head's own.
    """
    event_logits, category_logits = _as_logits(event_scores, category_scores)
    labels = model.head.predict_segment_labels(event_logits, category_logits)
    return labels.reshape(-1).numpy()


def _as_logits(event_scores: np.ndarray, category_scores: np.ndarray
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    event_logits = torch.logit(torch.from_numpy(event_scores)).reshape(-1, 1)
    category_logits = torch.log(torch.from_numpy(category_scores))
    return event_logits, category_logits
