from .avel_visualizer import AVELVisualizer
from .optional_tensorboard import OptionalTensorboardVisBackend
from .timeline import (
    draw_timeline,
    figure_to_image,
    save_figure,
    save_image,
    save_timeline,
)

__all__ = [
    'AVELVisualizer', 'OptionalTensorboardVisBackend', 'draw_timeline',
    'figure_to_image', 'save_figure', 'save_image', 'save_timeline'
]
