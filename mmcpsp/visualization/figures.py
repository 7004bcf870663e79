"""The figure of a result of any task."""
from typing import Any, Callable, Dict

from matplotlib.figure import Figure

from mmcpsp.structures import LocalizationResult, ParsingResult

from .parsing_timeline import draw_parsing_timeline
from .timeline import draw_timeline, save_figure

#: Result type -> the function that draws its figure.
FIGURES: Dict[type, Callable[..., Figure]] = {
    LocalizationResult: draw_timeline,
    ParsingResult: draw_parsing_timeline,
}


def draw_result(result: Any, dpi: int = 100) -> Figure:
    """The figure of a result of any task (:data:`FIGURES`)."""
    return FIGURES[type(result)](result, dpi=dpi)


def save_result(result: Any, path: str, dpi: int = 100) -> None:
    """Write the figure of a result of any task as a PNG."""
    save_figure(draw_result(result, dpi), path)
