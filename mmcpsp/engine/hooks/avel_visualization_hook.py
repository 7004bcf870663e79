import math
import os.path as osp
from typing import Sequence

from mmaction.engine.hooks import VisualizationHook
from mmaction.structures import ActionDataSample

from mmcpsp.registry import HOOKS
from mmcpsp.visualization import AVELVisualizer


def sample_name(data_sample: ActionDataSample, sample_id: int) -> str:
    """The video id of a sample (a safe file name), else its index."""
    name = data_sample.metainfo.get('video_id')
    if name is None:
        return str(data_sample.metainfo.get('sample_idx', sample_id))
    return str(name).replace(osp.sep, '_')


@HOOKS.register_module()
class AVELVisualizationHook(VisualizationHook):
    """Draw the timeline of validation and test videos.

    MMAction2's :class:`VisualizationHook` with the drawing of audio-visual
    localization: for every ``interval``-th video, the visualizer (an
    :class:`~mmcpsp.visualization.AVELVisualizer`) draws the predicted
    classes, the event probability and the ground truth along time. With
    ``out_dir`` the figures are written as ``out_dir/<video_id>.png`` at test
    time and ``out_dir/<video_id>_<epoch>.png`` at validation; otherwise
    they go to the visualizer's backends. ``tools/test.py --show-dir DIR``
    enables it with ``out_dir=DIR`` and ``interval=1``.

    Args:
        enable (bool): Whether to draw. Defaults to False.
        interval (int): Draw one video in ``interval``. Defaults to 5000.
        show (bool): Also show each figure in a window. Defaults to False.
        out_dir (str, optional): Folder of the figures. Defaults to None.
        **kwargs: Other arguments of
            :meth:`AVELVisualizer.add_datasample` (``draw_gt``,
            ``wait_time``).
    """

    def _draw_samples(self,
                      batch_idx: int,
                      data_batch: dict,
                      data_samples: Sequence[ActionDataSample],
                      step: int = 0) -> None:
        """Draw every ``interval``-th video of a batch.

        Unlike MMAction2's hook, the batch inputs (audio-visual features)
        are not drawn, so they are not read.
        """
        if not self.enable:
            return
        if not isinstance(self._visualizer, AVELVisualizer):
            raise TypeError(
                'Drawing audio-visual localization needs '
                "visualizer=dict(type='AVELVisualizer') in the config (as "
                'in configs/_base_/default_runtime.py), got '
                f'{type(self._visualizer).__name__}.')
        batch_size = len(data_samples)
        start_id = batch_size * batch_idx
        first_id = math.ceil(start_id / self.interval) * self.interval
        for sample_id in range(first_id, start_id + batch_size,
                               self.interval):
            data_sample = data_samples[sample_id - start_id]
            name = sample_name(data_sample, sample_id)
            draw_args = dict(self.draw_args)
            if self.out_dir is not None:
                file_name = f'{name}.png' if step == 0 else \
                    f'{name}_{step}.png'
                draw_args['out_file'] = osp.join(self.out_dir, file_name)
            self._visualizer.add_datasample(
                name, data_sample=data_sample, step=step, **draw_args)
