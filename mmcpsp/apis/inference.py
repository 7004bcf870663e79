"""Build a localizer from a checkpoint and localize events in any input."""
import math
import os
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict

from mmcpsp.datasets.base import BaseAVDataset, build_pipeline, dataset_class
from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    class_names_of,
    generic_class_names,
    result_type_of,
)

from .feature_extractor import AVFeatureExtractor
from .inference_inputs import (
    AVEL_INPUT_KEYS,
    FeatureInputs,
    InferenceInputs,
    load_feature_inputs,
)
from .inference_progress import ProgressCallback
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
        dataset_cfg = cfg.get('test_dataloader', {}).get('dataset', {})
        dataset_type = dataset_class(dataset_cfg)
        names = (dataset_type.class_names_from_config(dataset_cfg)
                 if dataset_type is not None
                 and issubclass(dataset_type, BaseAVDataset) else None)
        if names is not None:
            meta = dict(classes=names, num_classes=len(names))
    if meta is None:
        warnings.warn(
            'Neither the checkpoint (meta["dataset_meta"], saved by the '
            'training runner) nor the config (its test dataset\'s metainfo '
            'or fixed class names) names the classes: they are called '
            '"class 0" ... in the results.')
        meta = dict(classes=generic_class_names(num_classes))
    classes = class_names_of(meta)
    if len(classes) != num_classes:
        raise ValueError(
            f'The model predicts {num_classes} classes but its dataset '
            f'metainfo names {len(classes)}.')
    return dict(meta, classes=classes + ('background', ),
                num_classes=num_classes, background_index=num_classes)


def model_inputs(cfg: Optional[Config]
                 ) -> Tuple[Tuple[str, ...], Optional[Compose]]:
    """The inputs a model reads, and how it decodes a video if it does.

    Read from the config's test pipeline, whose last transform packs the
    inputs (``PackAVELInputs.input_keys``).

    Returns:
        tuple: The input keys, and for a model whose test dataset reads
        raw videos (``BaseAVDataset.reads_videos``) its test pipeline
        without the packing step (``results -> results``), else None.
    """
    if cfg is None:
        return AVEL_INPUT_KEYS, None
    dataset_cfg = cfg.get('test_dataloader', {}).get('dataset', {})
    transforms = build_pipeline(dataset_cfg.get('pipeline', []))
    input_keys = tuple(
        getattr(transforms[-1], 'input_keys', AVEL_INPUT_KEYS)
        if transforms else AVEL_INPUT_KEYS)
    dataset_type = dataset_class(dataset_cfg)
    if dataset_type is None or not getattr(dataset_type, 'reads_videos',
                                           False):
        return input_keys, None
    return input_keys, Compose(transforms[:-1])


def init_localizer(config: ConfigLike,
                   checkpoint: Optional[Union[str, Path]] = None,
                   device: Union[str, torch.device] = 'cpu') -> nn.Module:
    """Build a localizer, load its weights and class names, for inference.

    Args:
        config (str | Path | Config, optional): The config, or None to use
            the one the training runner stored in the checkpoint.
        checkpoint (str | Path, optional): Checkpoint to load. A published
            file, named ``NAME-XXXXXXXX.pth`` by
            ``tools/model_converters/publish_model.py``, is checked against
            the SHA-256 its name carries. Defaults to None (random weights).
        device (str | torch.device): Device of the model. Defaults to
            ``'cpu'``.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and ``dataset_meta``
        (``classes``: the C event classes then ``'background'``,
        ``num_classes``: C) taken from the checkpoint's ``meta``, so that a
        checkpoint alone is enough.

    Raises:
        CheckpointError: The checkpoint cannot be read safely, or does not
            match the hash in its name (one line, naming the file).
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
                        extractor: Optional[AVFeatureExtractor] = None,
                        amp: bool = False,
                        progress: Optional[ProgressCallback] = None):
    """Run a model over an input of any length.

    Args:
        model (nn.Module): A model from :func:`init_localizer`.
        inputs: A video file (decoded by the model's test pipeline for a
            model that reads raw videos, else read by ``extractor``), a
            features file (``.npz`` with the model's inputs, e.g.
            ``audio`` [N, Ca] and ``visual`` [N, H, W, Cv]), a pair
            ``(audio, visual)`` of arrays or ``.npy`` paths, a dict with
            the inputs, a dict with ``data_root`` (AVE-format folder) and
            ``video_id``, or :class:`FeatureInputs`. One row per second.
        window (int): T, seconds per window; the model's training clips
            (10 on AVE). Defaults to 10.
        stride (int, optional): Seconds between windows; overlapping windows
            are averaged. Defaults to None, meaning ``window``.
        batch_size (int): Windows per forward pass. Defaults to 16.
        with_attention (bool): Also return the audio-guided attention map
            of every segment. Defaults to False.
        extractor (AVFeatureExtractor, optional): Reads the features of a
            video input for a features model. Defaults to None.
        amp (bool): Run the model in mixed precision (bfloat16 on a CPU
            with bfloat16 kernels, else one error line). Defaults to False.
        progress (callable, optional): Told ``(stage, done, total)`` while
            a video is decoded and its features extracted, and as the
            windows are run (:mod:`~mmcpsp.apis.inference_progress`). Defaults to
            None.

    Returns:
        The result of the model's task (:data:`RESULT_TYPES`), e.g. a
        :class:`LocalizationResult`: per second the labels, their names and
        the scores; the merged events; the annotated labels when the input
        carries them.
    """
    if isinstance(inputs, FeatureInputs):
        features = inputs
    else:
        input_keys, pipeline = model_inputs(getattr(model, 'cfg', None))
        features = load_feature_inputs(inputs, extractor, input_keys,
                                       pipeline, progress)
    scores = predict_sliding_windows(
        model,
        features.inputs,
        window=window,
        stride=stride,
        batch_size=batch_size,
        with_attention=with_attention,
        amp=amp,
        progress=progress)
    attention = scores.pop('attention', None)
    head = model.head
    labels = head.predict_labels(
        {key: torch.from_numpy(value)[None]
         for key, value in scores.items()})
    if attention is not None:
        attention = attention.reshape(
            (-1, ) + _region_grid(features.visual, attention.shape[1]))
    return result_type_of(head.task).from_predictions(
        video=features.name,
        classes=class_names_of(model.dataset_meta),
        scores=scores,
        labels={key: value[0].numpy() for key, value in labels.items()},
        duration=features.duration,
        gt_spans=features.gt_spans,
        attention=attention,
        event_threshold=head.decision_threshold)


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
