from .avel_visualizer import AVELVisualizer
from .optional_tensorboard import OptionalTensorboardVisBackend
from .timeline import (
    FIGURES,
    draw_result,
    draw_timeline,
    figure_to_image,
    save_figure,
    save_image,
    save_result,
    save_timeline,
)

__all__ = [
    'AVELVisualizer', 'FIGURES', 'OptionalTensorboardVisBackend',
    'draw_result', 'draw_timeline', 'figure_to_image', 'save_figure',
    'save_image', 'save_result', 'save_timeline'
]
