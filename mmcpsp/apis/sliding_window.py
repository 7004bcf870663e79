"""Run a localizer trained on T-segment clips over inputs of any length."""
from contextlib import contextmanager, nullcontext
from typing import Dict, Iterator, List, Mapping, Optional

import numpy as np
import torch
import torch.nn as nn

from mmcpsp.engine.optim_wrappers import inference_autocast
from mmcpsp.models.backbones import AudioGuidedVisualAttention
from mmcpsp.structures import PRED_PREFIX

from .inference_progress import WINDOWS, ProgressCallback, report


def window_starts(num_segments: int, window: int, stride: int) -> List[int]:
    """First segment of every window covering ``num_segments`` segments.

    Windows start at 0, ``stride``, ``2 * stride`` ... until one reaches
    the last segment; that last window may run past the end (it is padded).

    Args:
        num_segments (int): N, at least 1.
        window (int): T, the segments of one window.
        stride (int): Segments between window starts, in [1, T].

    Returns:
        list[int]: The start of each window.
    """
    if num_segments < 1:
        raise ValueError(f'The input has no segment (N = {num_segments}).')
    if window < 1:
        raise ValueError(f'window must be at least 1, got {window}.')
    if not 1 <= stride <= window:
        raise ValueError(f'stride must lie in [1, window = {window}] so '
                         f'that windows cover every segment, got {stride}.')
    starts = [0]
    while starts[-1] + window < num_segments:
        starts.append(starts[-1] + stride)
    return starts


def _padded_windows(features: np.ndarray, starts: List[int],
                    window: int) -> np.ndarray:
    """Windows [W, T, ...] of ``features`` [N, ...], zeros past the end."""
    # Zeros rather than copies of the last second: a copied second would
    # weigh its class in the clip-level category and stretch its event.
    windows = np.zeros((len(starts), window) + features.shape[1:],
                       dtype=features.dtype)
    for index, start in enumerate(starts):
        chunk = features[start:start + window]
        windows[index, :len(chunk)] = chunk
    return windows


def _attention_module(model: nn.Module
                      ) -> Optional[AudioGuidedVisualAttention]:
    return next((module for module in model.backbone.modules()
                 if isinstance(module, AudioGuidedVisualAttention)), None)


def has_attention_maps(model: nn.Module) -> bool:
    """Whether the model's backbone has an audio-guided visual attention,
    whose maps ``with_attention=True`` returns."""
    return _attention_module(model) is not None


@contextmanager
def _record_attention(model: nn.Module, records: List[torch.Tensor]
                      ) -> Iterator[None]:
    """Append the region weights [B * T, R] of every backbone forward."""
    attention = _attention_module(model)
    if attention is None:
        raise ValueError(
            'Attention maps need a backbone with an audio-guided visual '
            'attention, such as AVGAEncoder or FrameAVGAEncoder; this model '
            f'has {type(model.backbone).__name__}.')

    def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        # Recomputed from the same inputs: the forward returns only the
        # attended features.
        records.append(module.region_weights(*args).detach().cpu())

    handle = attention.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@torch.no_grad()
def predict_sliding_windows(model: nn.Module,
                            inputs: Mapping[str, np.ndarray],
                            window: int = 10,
                            stride: Optional[int] = None,
                            batch_size: int = 16,
                            with_attention: bool = False,
                            amp: bool = False,
                            progress: Optional[ProgressCallback] = None
                            ) -> Dict[str, np.ndarray]:
    """Score every segment of an input of any length with windows of T.

    The input is cut into windows of ``window`` segments every ``stride``
    segments; the last window is padded with zero features. Each window is
    predicted by ``model.test_step``; every segment receives the mean of
    each score of the head (:attr:`BaseSegmentHead.score_keys`) over the
    windows that cover it, a video score counting for every segment of its
    window (padding is never counted).

    Args:
        model (nn.Module): A localizer in eval mode whose head is a
            :class:`~mmcpsp.models.heads.BaseSegmentHead`.
        inputs (Mapping[str, np.ndarray]): The model's inputs per second,
            each [N, ...]: e.g. ``audio`` features [N, Ca] (or log-mel
            [N, 96, 64]) and ``visual`` feature maps [N, H, W, Cv] (or
            frames [N, F, H, W, 3]).
        window (int): T, segments per window. Defaults to 10 (AVE clips).
        stride (int, optional): Segments between windows. Defaults to None,
            meaning ``window`` (no overlap).
        batch_size (int): Windows per forward pass. Defaults to 16.
        with_attention (bool): Also return the audio-guided attention.
            Defaults to False.
        amp (bool): Run the model in mixed precision (bfloat16 autocast
            on a CPU; see :func:`~mmcpsp.engine.inference_autocast`).
            Defaults to False (the model's precision).
        progress (callable, optional): Told ``('windows', done, total)``
            before the first batch and after each. Defaults to None.

    Returns:
        dict[str, np.ndarray]: Every score of the head per segment
        [N, ...] (float64) and, with ``with_attention``, ``attention``
        [N, R] (mean region weights).
    """
    lengths = {name: len(values) for name, values in inputs.items()}
    num_segments = next(iter(lengths.values()))
    if len(set(lengths.values())) != 1:
        raise ValueError(f'The inputs cover different numbers of segments: '
                         f'{lengths}.')
    head = model.head
    device = next(model.parameters()).device
    starts = window_starts(num_segments, window,
                           window if stride is None else stride)
    sums: Dict[str, np.ndarray] = {}
    counts = np.zeros(num_segments)
    attention_records: List[torch.Tensor] = []
    report(progress, WINDOWS, 0, len(starts))
    for first in range(0, len(starts), batch_size):
        batch_starts = starts[first:first + batch_size]
        data = dict(inputs={
            name: torch.from_numpy(
                _padded_windows(values, batch_starts, window))
            for name, values in inputs.items()
        })
        attention_records.clear()
        with (_record_attention(model, attention_records)
              if with_attention else nullcontext()), \
                inference_autocast(device, amp):
            samples = model.test_step(data)
        per_window = head.expand_scores(
            {
                name: torch.stack(
                    [sample.get(PRED_PREFIX + name) for sample in samples])
                for name in head.score_keys
            }, window)
        if with_attention:
            per_window['attention'] = torch.cat(attention_records).reshape(
                len(samples), window, -1)
        for index, start in enumerate(batch_starts):
            stop = min(start + window, num_segments)
            counts[start:stop] += 1
            for name, values in per_window.items():
                value = values[index][:stop - start].double().cpu().numpy()
                if name not in sums:
                    sums[name] = np.zeros((num_segments, ) + value.shape[1:])
                sums[name][start:stop] += value
        report(progress, WINDOWS, first + len(batch_starts), len(starts))
    return {
        name: total / counts.reshape((-1, ) + (1, ) * (total.ndim - 1))
        for name, total in sums.items()
    }
