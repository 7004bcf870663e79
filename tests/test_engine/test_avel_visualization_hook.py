from types import SimpleNamespace

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from mmaction.structures import ActionDataSample
from mmengine.visualization import Visualizer

from mmcpsp.registry import HOOKS, VISUALIZERS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    PRED_EVENT_SCORES,
    PRED_SEGMENT_LABELS,
)

CLASSES = ('Bark', 'Cat', 'background')


def predicted_sample(index: int, with_gt: bool = True) -> ActionDataSample:
    sample = ActionDataSample()
    sample.set_metainfo(dict(video_id=f'vid{index}', sample_idx=index,
                             num_classes=2))
    labels = torch.tensor([2, 0, 0, 2, 1])
    sample.set_field(labels, PRED_SEGMENT_LABELS, dtype=torch.Tensor)
    sample.set_field(torch.tensor([0.1, 0.9, 0.8, 0.3, 0.7]),
                     PRED_EVENT_SCORES, dtype=torch.Tensor)
    if with_gt:
        sample.set_field(torch.tensor([2, 2, 0, 0, 1]), GT_SEGMENT_LABELS,
                         dtype=torch.Tensor)
    return sample


def feature_batch(size: int) -> dict:
    return dict(inputs=dict(audio=torch.zeros(size, 5, 128),
                            visual=torch.zeros(size, 5, 7, 7, 512)))


@pytest.fixture
def visualizer(tmp_path):
    visualizer = VISUALIZERS.build(
        dict(type='AVELVisualizer', name=f'vis_{tmp_path.name}',
             vis_backends=[dict(type='LocalVisBackend')],
             save_dir=str(tmp_path / 'backend')))
    visualizer.dataset_meta = dict(classes=CLASSES, num_classes=2)
    return visualizer


def run_test_batches(hook, batches=((0, 1, 2), (3, 4, 5))) -> None:
    for batch_idx, ids in enumerate(batches):
        hook.after_test_iter(None, batch_idx, feature_batch(len(ids)),
                             [predicted_sample(i) for i in ids])


def test_one_figure_per_interval_video(visualizer, tmp_path):
    out_dir = tmp_path / 'show'
    hook = HOOKS.build(dict(type='AVELVisualizationHook', enable=True,
                            interval=2,
                            out_dir=str(out_dir)))
    run_test_batches(hook)
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'vid0.png', 'vid2.png', 'vid4.png'
    ]


def test_disabled_draws_nothing(visualizer, tmp_path):
    hook = HOOKS.build(dict(type='AVELVisualizationHook',
                            out_dir=str(tmp_path / 'show')))
    run_test_batches(hook)
    assert not (tmp_path / 'show').exists()


def test_validation_figures_carry_the_step(visualizer, tmp_path):
    hook = HOOKS.build(dict(type='AVELVisualizationHook', enable=True,
                            interval=1, out_dir=str(tmp_path / 'show')))
    runner = SimpleNamespace(train_loop=None, iter=7)
    hook.after_val_iter(runner, 0, feature_batch(1), [predicted_sample(3)])
    assert [p.name for p in (tmp_path / 'show').iterdir()] == ['vid3_7.png']


def test_without_out_dir_figures_go_to_the_backends(visualizer, tmp_path):
    hook = HOOKS.build(dict(type='AVELVisualizationHook', enable=True,
                            interval=1))
    run_test_batches(hook, batches=((0, ), ))
    images = list((tmp_path / 'backend').rglob('*.png'))
    assert [p.name for p in images] == ['vid0_0.png']


def test_other_visualizers_are_refused(tmp_path):
    Visualizer.get_instance(f'plain_{tmp_path.name}')
    hook = HOOKS.build(dict(type='AVELVisualizationHook', enable=True,
                            interval=1))
    with pytest.raises(TypeError, match='AVELVisualizer'):
        run_test_batches(hook, batches=((0, ), ))


def test_visualizer_result_of(visualizer):
    result = visualizer.result_of('vid0', predicted_sample(0))
    assert result.segment_names == ['background', 'Bark', 'Bark',
                                    'background', 'Cat']
    assert result.gt_segment_labels.tolist() == [2, 2, 0, 0, 1]
    assert visualizer.result_of(
        'vid0', predicted_sample(0), draw_gt=False).gt_segment_labels is None
    visualizer.dataset_meta = None
    assert visualizer.result_of('v', predicted_sample(0)).classes == (
        'class 0', 'class 1')
    image = visualizer.add_datasample('vid0', predicted_sample(0),
                                      out_file=None)
    assert image.ndim == 3 and image.shape[2] == 3


def test_the_file_holds_the_returned_image(visualizer, tmp_path):
    out_file = tmp_path / 'vid0.png'
    image = visualizer.add_datasample('vid0', predicted_sample(0),
                                      out_file=str(out_file))
    written = imread(str(out_file))[..., :3]
    np.testing.assert_array_equal((written * 255).round().astype(np.uint8),
                                  image)
