"""The timeline figure of a localization result.

Drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, so
that no window, display or pyplot state is involved (safe in test loops and
DataLoader-free tools alike).
"""
import os
from typing import Dict, List, Optional, Tuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from mmcpsp.structures import LocalizationResult, label_runs
from mmcpsp.utils import atomic_path

#: Colours of the classes in order of appearance in a figure (tab10 less
#: its grey, which is kept for background).
CLASS_COLORS = ('#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
                '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#aec7e8',
                '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94')
BACKGROUND_COLOR = '#e6e6e6'
#: Width of the figure per second of input, and its bounds, in inches.
INCHES_PER_SECOND = 0.45
MIN_WIDTH, MAX_WIDTH = 7.0, 18.0
#: Width of the row titles left of the time axis, in inches.
ROW_TITLE_INCHES = 1.2
#: Width of one character of a band's name (8 pt bold), in inches.
NAME_CHAR_INCHES = 0.075


def class_colors(result: LocalizationResult) -> Dict[int, str]:
    """A colour per class present, by order of first appearance in time."""
    present: List[int] = []
    rows = [result.segment_labels]
    if result.gt_segment_labels is not None:
        rows.append(result.gt_segment_labels)
    for labels in rows:
        for label in labels.tolist():
            if label != result.num_classes and label not in present:
                present.append(label)
    return {
        label: CLASS_COLORS[index % len(CLASS_COLORS)]
        for index, label in enumerate(present)
    }


def _fitted_name(name: str, width_inches: float) -> str:
    """``name``, shortened with an ellipsis to fit a band, or ''."""
    fitting = int(width_inches / NAME_CHAR_INCHES)
    if len(name) <= fitting:
        return name
    return name[:fitting - 1].rstrip() + '\u2026' if fitting >= 4 else ''


def _draw_bands(ax: Axes, result: LocalizationResult, labels: np.ndarray,
                colors: Dict[int, str], title: str,
                inches_per_second: float) -> None:
    """One horizontal band per run of equal labels, named when it fits."""
    seconds = result.segment_seconds
    for start, stop, label in label_runs(labels):
        ax.broken_barh([(start * seconds, (stop - start) * seconds)], (0, 1),
                       facecolors=colors.get(label, BACKGROUND_COLOR),
                       edgecolors='white',
                       linewidth=1.0)
        if label == result.num_classes:
            continue
        name = _fitted_name(result.name_of(label),
                            (stop - start) * seconds * inches_per_second)
        ax.text((start + stop) / 2 * seconds, 0.5, name, ha='center',
                va='center', fontsize=8, color='white', fontweight='bold')
    ax.set_ylim(0, 1)
    ax.set_yticks([0.5])
    ax.set_yticklabels([title])
    ax.tick_params(axis='y', length=0)
    for side in ('top', 'right', 'left'):
        ax.spines[side].set_visible(False)


def _draw_scores(ax: Axes, result: LocalizationResult,
                 threshold: Optional[float]) -> None:
    """Event probability per second as steps, with the decision threshold
    when the rule has one."""
    edges = np.arange(result.num_segments + 1) * result.segment_seconds
    scores = np.append(result.event_scores, result.event_scores[-1:])
    ax.fill_between(edges, scores, step='post', color='#1f77b4', alpha=0.15)
    ax.step(edges, scores, where='post', color='#1f77b4', linewidth=1.5)
    if threshold is not None:
        ax.axhline(threshold, color='#555555', linestyle='--', linewidth=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel('event\nprobability', fontsize=8)
    ax.grid(axis='y', color='#dddddd', linewidth=0.5)
    for side in ('top', 'right'):
        ax.spines[side].set_visible(False)


def _title(result: LocalizationResult) -> str:
    title = (f'{result.video}  ·  {result.duration:.1f} s  ·  '
             f'{len(result.events)} event(s)')
    if result.gt_segment_labels is not None:
        correct = int((result.segment_labels ==
                       result.gt_segment_labels).sum())
        title += (f'  ·  {correct}/{result.num_segments} seconds '
                  'correct')
    return title


def draw_timeline(result: LocalizationResult,
                  threshold: Optional[float] = None,
                  dpi: int = 100) -> Figure:
    """Draw the timeline of a result.

    From top to bottom: the predicted class bands (events in colour with
    their names, background grey), the event probability per second with
    the decision threshold, and the ground-truth bands when the result
    holds them; a shared time axis in seconds and a legend of the classes.

    Args:
        result (LocalizationResult): The result to draw.
        threshold (float, optional): The event threshold drawn over the
            probabilities. Defaults to None, meaning the result's
            ``event_threshold`` (no line when that is None too).
        dpi (int): Resolution of the figure. Defaults to 100.

    Returns:
        Figure: The figure, on an Agg canvas.
    """
    if threshold is None:
        threshold = result.event_threshold
    with_gt = result.gt_segment_labels is not None
    colors = class_colors(result)
    width = float(np.clip(INCHES_PER_SECOND * result.duration, MIN_WIDTH,
                          MAX_WIDTH))
    heights: Tuple[float, ...] = (0.5, 1.4) + ((0.5, ) if with_gt else ())
    figure = Figure(
        figsize=(width, 1.4 + sum(heights)), dpi=dpi, layout='constrained')
    FigureCanvasAgg(figure)
    axes = figure.subplots(
        len(heights), 1, sharex=True,
        gridspec_kw=dict(height_ratios=heights))
    end = result.num_segments * result.segment_seconds
    inches_per_second = (width - ROW_TITLE_INCHES) / end
    _draw_bands(axes[0], result, result.segment_labels, colors, 'predicted',
                inches_per_second)
    _draw_scores(axes[1], result, threshold)
    if with_gt:
        _draw_bands(axes[2], result, result.gt_segment_labels, colors,
                    'ground truth', inches_per_second)
    axes[-1].set_xlim(0, end)
    axes[-1].xaxis.set_major_locator(MaxNLocator(nbins=20, steps=[1, 2, 5, 10], integer=True))
    axes[-1].set_xlabel('time (s)')
    figure.suptitle(_title(result), fontsize=10, x=0.01, ha='left')
    handles: List[Patch] = [
        Patch(facecolor=color, label=result.name_of(label))
        for label, color in colors.items()
    ] + [Patch(facecolor=BACKGROUND_COLOR, label='background')]
    figure.legend(
        handles=handles,
        loc='outside lower center',
        ncol=min(len(handles), 4),
        fontsize=8,
        frameon=False)
    return figure


def figure_to_image(figure: Figure) -> np.ndarray:
    """The RGB pixels [H, W, 3] (uint8) of a figure on an Agg canvas."""
    canvas = figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_figure(figure: Figure, path: str) -> None:
    """Write a figure as a PNG atomically (no half-written file)."""
    with atomic_path(os.fspath(path)) as tmp_path:
        figure.savefig(tmp_path, format='png', dpi=figure.dpi)


def save_image(image: np.ndarray, path: str) -> None:
    """Write RGB pixels [H, W, 3] (uint8) as a PNG atomically."""
    with atomic_path(os.fspath(path)) as tmp_path:
        imsave(tmp_path, image, format='png')


def save_timeline(result: LocalizationResult,
                  path: str,
                  threshold: Optional[float] = None,
                  dpi: int = 100) -> None:
    """Draw the timeline of ``result`` (see :func:`draw_timeline`) to a
    PNG file."""
    save_figure(draw_timeline(result, threshold, dpi), path)


