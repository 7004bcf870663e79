"""tools/dist_train.sh and tools/dist_test.sh with two CPU processes (gloo)."""
import glob
import json
import os.path as osp
import pickle

import pytest
from tool_runner import (
    CONFIG,
    free_port,
    read_scalars,
    run_tool,
    small_run_options,
    tool_env,
)

MAX_EPOCHS = 2
NUM_TEST_VIDEOS = 5  # tiny_ave_root: an odd split, so ranks get padding


@pytest.fixture(scope='module')
def dist_trained(tiny_ave_root, tmp_path_factory) -> str:
    work_dir = str(tmp_path_factory.mktemp('dist_train'))
    result = run_tool(
        [
            'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir',
            work_dir, '--cfg-options',
            *small_run_options(tiny_ave_root, MAX_EPOCHS)
        ],
        env=tool_env(PORT=str(free_port())))
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def test_dist_train_trains_and_validates_on_two_processes(dist_trained):
    log = ''.join(
        open(path).read()
        for path in glob.glob(osp.join(dist_trained, '*', '*.log')))
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    # 40 training videos, 8 per batch on each of two ranks: 3 iterations.
    assert 'Epoch(train) [1][3/3]' in log
    # The configs preload: one copy per machine, mapped by both processes.
    assert ('Preloaded the train split of' in log
            and 'shared by the 2 processes of this machine' in log)
    metrics = [
        r for r in read_scalars(dist_trained) if 'avel/segment_acc' in r
    ]
    assert [r['step'] for r in metrics] == list(range(1, MAX_EPOCHS + 1))
    assert osp.isfile(osp.join(dist_trained, f'epoch_{MAX_EPOCHS}.pth'))


def test_dist_test_counts_every_video_once(dist_trained, tiny_ave_root,
                                           tmp_path):
    checkpoint = osp.join(dist_trained, f'epoch_{MAX_EPOCHS}.pth')
    options = ['--cfg-options', *small_run_options(tiny_ave_root)]
    dump = str(tmp_path / 'predictions.pkl')
    dist_metrics = str(tmp_path / 'dist.json')
    result = run_tool(
        [
            'bash', 'tools/dist_test.sh', CONFIG, checkpoint, '2',
            '--work-dir',
            str(tmp_path / 'dist'), '--dump', dump, '--metrics-out',
            dist_metrics, *options
        ],
        env=tool_env(PORT=str(free_port())))
    assert result.returncode == 0, result.stderr[-3000:]
    single_metrics = str(tmp_path / 'single.json')
    result = run_tool([
        'tools/test.py', CONFIG, checkpoint, '--work-dir',
        str(tmp_path / 'single'), '--metrics-out', single_metrics, *options
    ])
    assert result.returncode == 0, result.stderr[-3000:]

    with open(dump, 'rb') as f:
        predictions = pickle.load(f)
    sample_ids = [p['sample_idx'] for p in predictions]
    assert sorted(sample_ids) == list(range(NUM_TEST_VIDEOS))
    with open(dist_metrics) as f:
        distributed = json.load(f)
    with open(single_metrics) as f:
        single = json.load(f)
    assert distributed == pytest.approx(single)
    # The metric of the dumped predictions, computed here, agrees too.
    correct = sum(
        int((p['pred_segment_labels'] == p['gt_segment_labels']).sum())
        for p in predictions)
    total = sum(len(p['gt_segment_labels']) for p in predictions)
    assert distributed['avel/segment_acc'] == pytest.approx(
        100 * correct / total)
