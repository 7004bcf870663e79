"""The timeline figure of a video parse: an audio track and a visual track.

Drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, as
the event localization timeline (:mod:`.timeline`).
"""
from typing import List, Optional

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from mmcpsp.structures import ParsingResult, label_runs

from .timeline import (
    CLASS_COLORS,
    INCHES_PER_SECOND,
    MAX_WIDTH,
    MIN_WIDTH,
)

#: The two tracks, top to bottom: (modality, row title).
TRACKS = (('audio', 'heard'), ('visual', 'seen'))
#: Height of one class row in inches.
ROW_INCHES = 0.32
GT_COLOR = '#222222'


def drawn_classes(result: ParsingResult) -> List[int]:
    """The classes predicted or annotated anywhere, in class order."""
    rows = [result.audio_labels, result.visual_labels]
    rows += [labels for labels in (result.gt_audio_labels,
                                   result.gt_visual_labels)
             if labels is not None]
    present = np.zeros(result.num_classes, bool)
    for labels in rows:
        present |= labels.any(axis=0)
    return np.flatnonzero(present).tolist()


def _draw_track(ax: Axes, result: ParsingResult, modality: str,
                classes: List[int], title: str) -> None:
    """One row per class: predicted runs filled, their opacity the mean
    probability; annotated runs as a dark line under them."""
    seconds = result.segment_seconds
    labels = result.labels_of(modality)
    gt = result.labels_of(modality, gt=True)
    scores = result.scores_of(modality)
    for row, index in enumerate(classes):
        color = CLASS_COLORS[row % len(CLASS_COLORS)]
        top = len(classes) - 1 - row
        for start, stop, value in label_runs(labels[:, index]):
            if value:
                ax.broken_barh(
                    [(start * seconds, (stop - start) * seconds)],
                    (top + 0.25, 0.6), facecolors=color,
                    alpha=float(np.clip(scores[start:stop, index].mean(),
                                        0.35, 1.0)))
        if gt is not None:
            for start, stop, value in label_runs(gt[:, index]):
                if value:
                    ax.broken_barh(
                        [(start * seconds, (stop - start) * seconds)],
                        (top + 0.05, 0.12), facecolors=GT_COLOR)
    ax.set_ylim(0, max(len(classes), 1))
    ax.set_yticks([len(classes) - 0.5 - row for row in range(len(classes))])
    ax.set_yticklabels([result.classes[index] for index in classes],
                       fontsize=8)
    ax.set_ylabel(title, fontsize=9)
    ax.tick_params(axis='y', length=0)
    ax.grid(axis='x', color='#eeeeee', linewidth=0.5)
    for side in ('top', 'right'):
        ax.spines[side].set_visible(False)


def draw_parsing_timeline(result: ParsingResult,
                          threshold: Optional[float] = None,
                          dpi: int = 100) -> Figure:
    """Draw what a parse hears and sees along time.

    Two tracks share the time axis: what is heard and what is seen, one row
    per class predicted or annotated anywhere; a predicted run is a
    coloured bar whose opacity is its mean probability, an annotated run a
    dark line at the bottom of the row. The title counts the events of each
    modality.

    Args:
        result (ParsingResult): The result to draw.
        threshold (float, optional): Unused; the rule's threshold is in the
            title when the result has one. Defaults to None.
        dpi (int): Resolution of the figure. Defaults to 100.

    Returns:
        Figure: The figure, on an Agg canvas.
    """
    threshold = result.event_threshold if threshold is None else threshold
    classes = drawn_classes(result)
    width = float(np.clip(INCHES_PER_SECOND * result.duration, MIN_WIDTH,
                          MAX_WIDTH))
    track_inches = ROW_INCHES * max(len(classes), 1) + 0.3
    figure = Figure(figsize=(width, 1.3 + 2 * track_inches), dpi=dpi,
                    layout='constrained')
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 1, sharex=True)
    for ax, (modality, title) in zip(axes, TRACKS):
        _draw_track(ax, result, modality, classes, title)
    end = result.num_segments * result.segment_seconds
    axes[-1].set_xlim(0, end)
    axes[-1].xaxis.set_major_locator(
        MaxNLocator(nbins=20, steps=[1, 2, 5, 10], integer=True))
    axes[-1].set_xlabel('time (s)')
    counts = '  ·  '.join(
        f'{len(result.intervals(modality))} {name}'
        for modality, name in (('audio', 'heard'), ('visual', 'seen'),
                               ('audio_visual', 'both')))
    rule = '' if threshold is None else f'  ·  threshold {threshold:g}'
    figure.suptitle(f'{result.video}  ·  {result.duration:.1f} s  ·  '
                    f'{counts}{rule}', fontsize=10, x=0.01, ha='left')
    handles = [Patch(facecolor='#777777', label='predicted (opacity: '
                     'probability)')]
    if result.gt_audio_labels is not None:
        handles.append(Patch(facecolor=GT_COLOR, label='annotated'))
    figure.legend(handles=handles, loc='outside lower center',
                  ncol=len(handles), fontsize=8, frameon=False)
    return figure
