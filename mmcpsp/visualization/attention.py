"""Audio-guided attention maps over the frames they looked at.

The figure of AVE (Tian et al., ECCV 2018, ``attention_visualization``):
for each one-second segment, a frame of that second with the attention
weights of the regions of its feature map laid over it.
"""
import math
from typing import List

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mmcpsp.structures import LocalizationResult

#: Panels per row and per figure.
COLUMNS = 10
SEGMENTS_PER_PAGE = 50
PANEL_INCHES = 1.7


def attention_pages(num_segments: int,
                    per_page: int = SEGMENTS_PER_PAGE) -> List[range]:
    """The segments of each figure: ``per_page`` at most per figure."""
    return [
        range(start, min(start + per_page, num_segments))
        for start in range(0, num_segments, per_page)
    ]


def draw_attention(result: LocalizationResult,
                   frames: np.ndarray,
                   segments: range,
                   dpi: int = 100) -> Figure:
    """Draw the attention of some segments over one frame of each.

    Each panel shows the frame of a second, the attention map (bilinearly
    upsampled from the feature map's H x W regions, scaled to its own
    maximum so that where the audio led the model to look stands out) and
    the second, its predicted class and event probability.

    Args:
        result (LocalizationResult): A result with ``attention`` [N, h, w].
        frames (np.ndarray): One RGB frame per segment, uint8 [N, H, W, 3].
        segments (range): The segments to draw.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        Figure: The figure, on an Agg canvas.
    """
    if result.attention is None:
        raise ValueError('The result holds no attention map: run the '
                         'inference with with_attention=True.')
    if len(frames) != result.num_segments:
        raise ValueError(f'{len(frames)} frames for '
                         f'{result.num_segments} segments.')
    columns = min(COLUMNS, len(segments))
    rows = math.ceil(len(segments) / columns)
    figure = Figure(
        figsize=(columns * PANEL_INCHES, rows * PANEL_INCHES * 1.05 + 0.4),
        dpi=dpi,
        layout='constrained')
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    names = result.segment_names
    for ax, index in zip(axes, segments):
        frame = frames[index]
        height, width = frame.shape[:2]
        weights = result.attention[index]
        ax.imshow(frame, extent=(0, width, height, 0))
        ax.imshow(
            weights / max(float(weights.max()), 1e-12),
            cmap='jet',
            alpha=0.45,
            vmin=0,
            vmax=1,
            interpolation='bilinear',
            extent=(0, width, height, 0))
        label = names[index]
        if len(label) > 18:
            label = label[:17] + '\u2026'
        ax.set_title(
            f'{index}-{index + 1} s  p={result.event_scores[index]:.2f}\n'
            f'{label}',
            fontsize=7)
        ax.set_axis_off()
    for ax in axes[len(segments):]:
        ax.set_axis_off()
    figure.suptitle(
        f'{result.video}: audio-guided visual attention, seconds '
        f'{segments.start}-{segments.stop}', fontsize=9)
    return figure
