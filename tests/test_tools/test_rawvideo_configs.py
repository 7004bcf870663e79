"""The raw-video configs train and test end to end on generated AVE-layout
videos (tiny frames, one frame per segment, random weights)."""
import os
import os.path as osp

import pytest
from tool_runner import free_port, run_tool, tool_env

from mmcpsp.datasets.ave import AVE_CATEGORIES
from mmcpsp.testing import write_ave_videos

CONFIGS = ('configs/cpsp_fully_ave_rawvideo.py',
           'configs/cpsp_fully_ave_rawvideo_x3d.py')


@pytest.fixture(scope='module')
def ave_videos(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('ave_raw'))
    write_ave_videos(root, AVE_CATEGORIES[:3], num_videos=5, fps=2,
                     size=(32, 32))
    return root


def tiny_options(data_root: str, workers: int = 0) -> list:
    """One epoch, 32 x 32 frames (1 x 1 maps), one frame per segment."""
    options = ['train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
               'model.backbone.num_regions=1']
    for split in ('train', 'val', 'test'):
        prefix = f'{split}_dataloader'
        options += [
            f'{prefix}.dataset.data_root={data_root}',
            f'{prefix}.batch_size=2',
            f'{prefix}.num_workers={workers}',
            f'{prefix}.persistent_workers=False',
            f'{prefix}.dataset.pipeline.0.frames_per_segment=1',
            f'{prefix}.dataset.pipeline.0.frame_size=(32,32)',
        ]
    return options


def data_errors(stderr: str) -> list:
    return [line for line in stderr.splitlines()
            if line.startswith('Data error:')]


@pytest.mark.parametrize('config', [
    CONFIGS[0],
    # The same path with other backbones: in the slow target.
    *(pytest.param(config, marks=pytest.mark.slow) for config in CONFIGS[1:])
])
def test_train_then_test(config, ave_videos, tmp_path):
    work_dir = str(tmp_path / 'work')
    result = run_tool(['tools/train.py', config, '--work-dir', work_dir,
                       '--cfg-options', *tiny_options(ave_videos)])
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    metrics = str(tmp_path / 'metrics.json')
    result = run_tool(['tools/test.py', config, checkpoint, '--work-dir',
                       work_dir, '--metrics-out', metrics, '--cfg-options',
                       *tiny_options(ave_videos)])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'avel/segment_acc' in open(metrics).read()


def test_undecodable_video_is_one_data_error(ave_videos, tmp_path):
    data_root = str(tmp_path / 'data')
    os.makedirs(osp.join(data_root, 'AVE'))
    for name in os.listdir(ave_videos):
        if name.endswith(('.txt', '.h5')):
            os.link(osp.join(ave_videos, name), osp.join(data_root, name))
    for name in os.listdir(osp.join(ave_videos, 'AVE')):
        with open(osp.join(data_root, 'AVE', name), 'w') as file:
            file.write('a text file, not a video\n')  # every one undecodable
    result = run_tool([
        'tools/train.py', CONFIGS[0], '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *tiny_options(data_root, workers=2)
    ])
    assert result.returncode == 2, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    errors = data_errors(result.stderr)
    assert len(errors) == 1, result.stderr[-3000:]
    assert osp.join(data_root, 'AVE') in errors[0]
    assert 'expected a video that FFmpeg decodes' in errors[0]
    video = errors[0][len('Data error: '):].split(': ')[0]
    assert video.startswith(osp.join(data_root, 'AVE')) and video.endswith(
        '.mp4'), errors[0]
    assert errors[0].count(osp.basename(video)) == 1, errors[0]


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS)
def test_dist_train_on_two_processes(config, ave_videos, tmp_path):
    work_dir = str(tmp_path / 'work')
    result = run_tool(['bash', 'tools/dist_train.sh', config, '2',
                       '--work-dir', work_dir, '--cfg-options',
                       *tiny_options(ave_videos)],
                      env=tool_env(PORT=str(free_port())))
    assert result.returncode == 0, result.stderr[-3000:]
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
