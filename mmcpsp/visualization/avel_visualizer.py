import os.path as osp
from typing import List, Optional

import numpy as np
from mmaction.structures import ActionDataSample
from mmengine.visualization import Visualizer

from mmcpsp.registry import VISUALIZERS
from mmcpsp.structures import (
    class_names_of,
    generic_class_names,
    result_from_data_sample,
)

from .figures import draw_result
from .timeline import figure_to_image, save_image


@VISUALIZERS.register_module()
class AVELVisualizer(Visualizer):
    """Draws the timeline of every video an audio-visual model predicts.

    The figure is that of the sample's task (:func:`draw_result`): for event
    localization (:func:`~mmcpsp.visualization.draw_timeline`) the
    predicted class per second, the event probability and, when the sample
    has them, the ground-truth labels; for video parsing
    (:func:`~mmcpsp.visualization.draw_parsing_timeline`) what is heard and
    what is seen, per class, with the annotated events. Class names come from
    ``dataset_meta`` (set by the runner's val and test loops); scalars are
    logged to the backends as by mmengine's :class:`Visualizer`.

    Args:
        name (str): Name of the instance. Defaults to ``'visualizer'``.
        vis_backends (list[dict], optional): Backends. Defaults to None.
        save_dir (str, optional): Folder of the backends. Defaults to None.
        threshold (float): Event threshold drawn over the probabilities
            (the head's ``event_threshold``). Defaults to 0.5.
        dpi (int): Resolution of the figures. Defaults to 100.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 threshold: float = 0.5,
                 dpi: int = 100) -> None:
        super().__init__(
            name=name, vis_backends=vis_backends, save_dir=save_dir)
        self.threshold = threshold
        self.dpi = dpi

    def _classes(self, data_sample: ActionDataSample) -> tuple:
        if self.dataset_meta and self.dataset_meta.get('classes'):
            return class_names_of(self.dataset_meta)
        num_classes = data_sample.metainfo.get('num_classes')
        if num_classes is None:
            raise ValueError(
                'AVELVisualizer needs class names: set dataset_meta or give '
                'the samples a num_classes metainfo.')
        return generic_class_names(num_classes)

    def result_of(self,
                  name: str,
                  data_sample: ActionDataSample,
                  draw_gt: bool = True):
        """The result (e.g. a :class:`LocalizationResult`) of a predicted
        data sample of any task.

        Args:
            name (str): Name of the video.
            data_sample (ActionDataSample): A predicted sample, e.g. with
                ``pred_segment_labels`` [T] and ``pred_event_scores`` [T],
                and optionally ``gt_segment_labels`` [T].
            draw_gt (bool): Keep the ground truth. Defaults to True.

        Returns:
            The result to draw.
        """
        return result_from_data_sample(
            name, data_sample, self._classes(data_sample), draw_gt=draw_gt,
            event_threshold=self.threshold)

    def add_datasample(self,
                       name: str,
                       data_sample: ActionDataSample,
                       draw_gt: bool = True,
                       show: bool = False,
                       wait_time: float = 0.,
                       out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draw the timeline of one sample.

        With ``out_file`` the figure is written there as a PNG (on every
        rank, each writing its own videos); otherwise it goes to the
        backends (from the main process) under ``name`` and ``step``.

        Args:
            name (str): Name of the video, the figure's title.
            data_sample (ActionDataSample): The predicted sample.
            draw_gt (bool): Draw its ground truth when it has some.
                Defaults to True.
            show (bool): Also show the figure in a window. Defaults to
                False.
            wait_time (float): Seconds to show it. Defaults to 0.
            out_file (str, optional): PNG file to write. Defaults to None.
            step (int): Global step for the backends. Defaults to 0.

        Returns:
            np.ndarray: The figure's RGB pixels [H, W, 3], uint8.
        """
        # Rendered once: the file, the window and the backends share it.
        image = figure_to_image(
            draw_result(self.result_of(name, data_sample, draw_gt),
                        self.dpi))
        if show:
            self.show(image, win_name=name, wait_time=wait_time)
        if out_file is not None:
            save_image(image, out_file)
        else:
            self.add_image(osp.basename(name), image, step)
        return image
