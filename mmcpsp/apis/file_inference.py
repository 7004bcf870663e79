"""Localize the events of one file, as both demos do.

``demo/demo_avel.py`` (the command line) and ``demo/webui.py`` (the web
page) run these same steps, so that one file and one checkpoint give the
same JSON, the same labels and the same figures in both.
"""
import json
import os
import os.path as osp
import zipfile
import zlib
from contextlib import contextmanager
from typing import Any, Iterator, List, Mapping, Optional

import numpy as np
import torch.nn as nn

from mmcpsp.utils import atomic_write
from mmcpsp.visualization import save_figure, save_result
from mmcpsp.visualization.attention import attention_pages, draw_attention

from .extractor_base import VideoFeatureExtractor
from .feature_extractor import AVFeatureExtractor
from .inference import inference_localizer, model_inputs
from .inference_inputs import (
    FeatureInputs,
    is_features_file,
    load_feature_inputs,
)
from .inference_progress import ProgressCallback
from .llp_feature_extractor import LLPFeatureExtractor

#: The extractor weights each feature recipe needs, as the demos' options
#: (``--audio-weights`` ...): AVE and VGGSound-AVEL models read VGGish and
#: VGG-19 features, LLP models VGGish, ResNet-152 frames and R(2+1)D-18
#: clips.
EXTRACTOR_WEIGHTS = {
    'ave': (('audio_weights', 'VGGish'), ('visual_weights', 'VGG-19')),
    'llp': (('audio_weights', 'VGGish'), ('res152_weights', 'ResNet-152'),
            ('r2plus1d_weights', 'R(2+1)D-18')),
}
#: Why an AVE-recipe features model cannot read a video without weights
#: (:func:`video_needs_weights` of such a model).
VIDEO_NEEDS_WEIGHTS = (
    'A video input to this model needs --audio-weights (VGGish) and '
    '--visual-weights (VGG-19): the model reads their features.')


def feature_recipe(model: nn.Module) -> str:
    """The extraction recipe of a features model's inputs: ``'llp'`` for
    the video parsing inputs (``visual_st`` among them), else ``'ave'``."""
    input_keys, _ = model_inputs(getattr(model, 'cfg', None))
    return 'llp' if 'visual_st' in input_keys else 'ave'


def video_needs_weights(model: nn.Module) -> str:
    """The line saying which weights a video input to ``model`` needs."""
    names = EXTRACTOR_WEIGHTS[feature_recipe(model)]
    options = [f"--{name.replace('_', '-')} ({network})"
               for name, network in names]
    options = ', '.join(options[:-1]) + ' and ' + options[-1]
    return (f'A video input to this model needs {options}: the model '
            'reads their features.')


def build_video_extractor(model: nn.Module,
                          weights: Mapping[str, Optional[str]],
                          device: str = 'cpu',
                          frames_per_segment: int = 16,
                          amp: bool = False
                          ) -> Optional[VideoFeatureExtractor]:
    """The extractor that gives ``model`` its features from videos.

    Args:
        model (nn.Module): A features model from :func:`init_localizer`.
        weights (Mapping[str, str | None]): Weight files by the names of
            :data:`EXTRACTOR_WEIGHTS` (``audio_weights``,
            ``visual_weights``, ``res152_weights``, ``r2plus1d_weights``).
        device (str): Where the networks run. Defaults to ``'cpu'``.
        frames_per_segment (int): VGG-19 frames averaged per second (the
            AVE recipe). Defaults to 16.
        amp (bool): The visual networks under bfloat16 autocast. Defaults
            to False.

    Returns:
        VideoFeatureExtractor | None: None when a weight file the recipe
        needs is not given.
    """
    recipe = feature_recipe(model)
    files = [weights.get(name) for name, _ in EXTRACTOR_WEIGHTS[recipe]]
    if not all(files):
        return None
    if recipe == 'llp':
        return LLPFeatureExtractor(*files, device=device, amp=amp)
    return AVFeatureExtractor(
        *files, device=device, frames_per_segment=frames_per_segment,
        amp=amp)


#: What reading a file that is not a decodable video or a well-formed
#: features file raises (a broken zip or compressed member included).
_INPUT_ERRORS = (ValueError, EOFError, zipfile.BadZipFile, zlib.error)


class InputFileError(ValueError):
    """A file the model cannot read; the message is one line naming it."""


@contextmanager
def input_file_errors(path: str,
                      shown_as: Optional[str] = None) -> Iterator[None]:
    """Raise what reading ``path`` raises as one :class:`InputFileError`,
    whose message names the file once.

    Args:
        path (str): The file being read.
        shown_as (str, optional): The name the message gives the file
            (e.g. the name of an upload rather than its server path).
            Defaults to None, meaning ``path``.
    """
    try:
        yield
    except InputFileError:
        raise
    except _INPUT_ERRORS as error:
        message = str(error)
        name = path if shown_as is None else shown_as
        # Most messages of the readers start with the path already.
        message = (message.replace(path, name)
                   if path in message else f'{name}: {message}')
        raise InputFileError(message) from None


def reads_raw_videos(model: nn.Module) -> bool:
    """Whether the model decodes videos with its own test pipeline (a raw
    video model), rather than reading VGGish and VGG-19 features."""
    return model_inputs(getattr(model, 'cfg', None))[1] is not None


def needs_extractor(model: nn.Module, path: str) -> bool:
    """Whether reading ``path`` for ``model`` needs the feature extractor:
    a video (not a features file) for a model that reads features."""
    return not is_features_file(path) and not reads_raw_videos(model)


def read_file_inputs(model: nn.Module,
                     path: str,
                     extractor: Optional[AVFeatureExtractor] = None,
                     progress: Optional[ProgressCallback] = None,
                     shown_as: Optional[str] = None) -> FeatureInputs:
    """The model's inputs from a video or a features file.

    Args:
        model (nn.Module): A model from :func:`init_localizer`.
        path (str): A video (decoded by the model's test pipeline for a
            raw video model, else read by ``extractor``) or a features file
            (see :func:`load_feature_inputs`).
        extractor (AVFeatureExtractor, optional): Needed for a video input
            to a features model (:func:`needs_extractor`). Defaults to None.
        progress (callable, optional): Told ``(stage, done, total)`` while
            decoding and extracting. Defaults to None.
        shown_as (str, optional): The file's name in error messages.
            Defaults to None, meaning ``path``.

    Raises:
        InputFileError: If the file is not a decodable video or a
            well-formed features file, or is a video for a features model
            without ``extractor``.
    """
    if extractor is None and needs_extractor(model, path):
        raise InputFileError(
            f'{shown_as or path}: {video_needs_weights(model)}')
    input_keys, pipeline = model_inputs(getattr(model, 'cfg', None))
    with input_file_errors(path, shown_as):
        return load_feature_inputs(path, extractor, input_keys, pipeline,
                                   progress)


def localize_inputs(model: nn.Module,
                    inputs: FeatureInputs,
                    window: int = 10,
                    stride: Optional[int] = None,
                    with_attention: bool = False,
                    amp: bool = False,
                    progress: Optional[ProgressCallback] = None,
                    shown_as: Optional[str] = None) -> Any:
    """:func:`inference_localizer` on the inputs of one file, whose errors
    (e.g. a stride outside [1, window]) are one :class:`InputFileError`
    naming the file (``shown_as``, else the input's name)."""
    with input_file_errors(shown_as or inputs.name):
        return inference_localizer(
            model,
            inputs,
            window=window,
            stride=stride,
            with_attention=with_attention,
            amp=amp,
            progress=progress)


def write_result_files(result: Any, out_dir: str,
                       frames: Optional[np.ndarray] = None) -> List[str]:
    """Write what the demo shows of a result, named after its video.

    ``<video>.json`` (``result.to_dict()``), ``<video>.png`` (the figure of
    the result's task) and, with ``frames``, the attention pages
    ``<video>_attention[_<page>].png`` (50 seconds a page).

    Args:
        result: A result of :func:`inference_localizer`; with ``frames``,
            one holding attention maps (``with_attention=True``).
        out_dir (str): Folder of the files, created when missing.
        frames (np.ndarray, optional): One RGB frame per segment, uint8
            [N, H, W, 3] (:attr:`FeatureInputs.frames`). Defaults to None.

    Returns:
        list[str]: The paths written: the JSON, the figure, then the
        attention pages.
    """
    os.makedirs(out_dir, exist_ok=True)
    base = osp.join(out_dir, result.video)
    with atomic_write(base + '.json', 'w', encoding='utf-8') as file:
        json.dump(result.to_dict(), file, indent=2)
    save_result(result, base + '.png')
    written = [base + '.json', base + '.png']
    if frames is not None:
        pages = attention_pages(result.num_segments)
        for number, segments in enumerate(pages, 1):
            suffix = '' if len(pages) == 1 else f'_{number}'
            path = f'{base}_attention{suffix}.png'
            save_figure(draw_attention(result, frames, segments), path)
            written.append(path)
    return written
