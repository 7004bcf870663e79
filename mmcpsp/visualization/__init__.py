from .avel_visualizer import AVELVisualizer
from .figures import FIGURES, draw_result, save_result
from .optional_tensorboard import OptionalTensorboardVisBackend
from .parsing_timeline import draw_parsing_timeline
from .timeline import (
    draw_timeline,
    figure_to_image,
    save_figure,
    save_image,
    save_timeline,
)

__all__ = [
    'AVELVisualizer', 'FIGURES', 'OptionalTensorboardVisBackend',
    'draw_parsing_timeline', 'draw_result', 'draw_timeline',
    'figure_to_image', 'save_figure', 'save_image', 'save_result',
    'save_timeline'
]
