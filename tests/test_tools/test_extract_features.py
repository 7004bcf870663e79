"""tools/data/extract_features.py on generated videos, random weights."""
import os
import os.path as osp
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from tool_runner import REPO_ROOT, run_tool, tool_env

from mmcpsp.datasets.ave import AVE_CATEGORIES
from mmcpsp.testing import random_image, write_ave_videos, write_test_video
from mmcpsp.testing.weights import write_random_vgg19, write_random_vggish

TOOL = 'tools/data/extract_features.py'


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp('weights')
    audio, visual = str(folder / 'vggish.pth'), str(folder / 'vgg19.pth')
    write_random_vggish(audio)
    write_random_vgg19(visual)
    return ['--audio-weights', audio, '--visual-weights', visual]


@pytest.fixture(scope='module')
def ave_videos(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('ave_raw'))
    write_ave_videos(root, AVE_CATEGORIES[:3], num_videos=3)
    return root


def quick(*extra: str) -> list:
    """Small frames and one frame per segment: seconds per video."""
    return ['--frame-size', '32', '--frames-per-segment', '1',
            '--workers', '0', *extra]


def test_npy_layout_failures_then_resume(weights, tmp_path):
    videos = tmp_path / 'videos'
    videos.mkdir()
    write_test_video(str(videos / 'long.mp4'),
                     [random_image(seed) for seed in range(12)],
                     tones=[440] * 12)
    write_test_video(str(videos / 'short.mkv'),
                     [random_image(seed) for seed in range(3)],
                     encoding='lossless')
    (videos / 'broken.mp4').write_bytes(b'not a video' * 50)
    out = tmp_path / 'out'
    result = run_tool([TOOL, str(videos), str(out), '--layout', 'npy',
                       *weights, *quick()])
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert '1 video(s) failed' in result.stderr
    failures = (out / 'failures.txt').read_text().splitlines()
    assert len(failures) == 1 and failures[0].startswith('broken\t')
    assert 'broken.mp4' in failures[0]
    assert np.load(out / 'audio' / 'long.npy').shape == (12, 128)
    assert np.load(out / 'visual' / 'long.npy').shape == (12, 1, 1, 512)
    assert np.load(out / 'visual' / 'short.npy').shape == (3, 1, 1, 512)
    first = (out / 'visual' / 'long.npy').read_bytes()

    os.remove(videos / 'broken.mp4')
    result = run_tool([TOOL, str(videos), str(out), '--layout', 'npy',
                       *weights, *quick()])
    assert result.returncode == 0, result.stderr[-3000:]
    assert '2 of 2 videos already done, 0 to extract' in result.stdout
    assert not (out / 'failures.txt').exists()
    assert (out / 'visual' / 'long.npy').read_bytes() == first


def _read_h5(folder) -> dict:
    arrays = {}
    for name in ('audio_feature.h5', 'visual_feature.h5'):
        with h5py.File(osp.join(folder, name), 'r') as h5_file:
            arrays[name] = h5_file['avadataset'][()]
    return arrays


def test_killed_halfway_finishes_like_an_uninterrupted_run(
        weights, ave_videos, tmp_path):
    command = [TOOL, osp.join(ave_videos, 'AVE'), '', '--annotations',
               osp.join(ave_videos, 'Annotations.txt'), *weights,
               *quick()]
    whole = str(tmp_path / 'whole')
    command[2] = whole
    result = run_tool(command)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = _read_h5(whole)
    assert expected['audio_feature.h5'].shape == (3, 10, 128)
    assert expected['visual_feature.h5'].shape == (3, 10, 1, 1, 512)
    assert not osp.exists(osp.join(whole, '.parts'))

    resumed = str(tmp_path / 'resumed')
    command[2] = resumed
    process = subprocess.Popen([sys.executable, *command], cwd=REPO_ROOT,
                               env=tool_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    audio_parts = osp.join(resumed, '.parts', 'audio')
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        done = [name for name in os.listdir(audio_parts)
                if name.endswith('.npy')] if osp.isdir(audio_parts) else []
        if done:
            process.kill()
            break
        time.sleep(0.02)
    process.wait()
    assert process.returncode != 0, 'the run ended before it was killed'
    assert not osp.exists(osp.join(resumed, 'audio_feature.h5'))
    # A temporary file left by a write that was cut short.
    stale = osp.join(resumed, '.parts', 'visual', '.x.npy.abc.tmp')
    with open(stale, 'wb') as file:
        file.write(b'half')
    result = run_tool(command)
    assert result.returncode == 0, result.stderr[-3000:]
    assert '2 to extract' in result.stdout or '1 to extract' in result.stdout
    resumed_arrays = _read_h5(resumed)
    for name, array in expected.items():
        np.testing.assert_array_equal(resumed_arrays[name], array)
    assert not osp.exists(osp.join(resumed, '.parts'))


@pytest.mark.slow
def test_ave_files_train_cpsp(weights, ave_videos, tmp_path):
    """At the AVE size (224 x 224, 7 x 7 maps) AVEDataset reads the files
    and configs/cpsp_fully_ave.py trains on them."""
    data_root = str(tmp_path / 'ave')
    os.makedirs(data_root)
    for name in os.listdir(ave_videos):
        if name.endswith(('.txt', '.h5')):
            os.link(osp.join(ave_videos, name), osp.join(data_root, name))
    result = run_tool([
        TOOL, osp.join(ave_videos, 'AVE'), data_root, '--annotations',
        osp.join(data_root, 'Annotations.txt'), *weights,
        '--frames-per-segment', '1', '--batch-size', '10'
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    options = [
        'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1'
    ]
    for split in ('train', 'val', 'test'):
        options += [
            f'{split}_dataloader.dataset.data_root={data_root}',
            f'{split}_dataloader.batch_size=2',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    work_dir = str(tmp_path / 'work')
    result = run_tool(['tools/train.py', 'configs/cpsp_fully_ave.py',
                       '--work-dir', work_dir, '--cfg-options', *options])
    assert result.returncode == 0, result.stderr[-3000:]
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
