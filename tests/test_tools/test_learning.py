"""CPSP learns on synthetic AVE-format data (slow: run with make test-slow)."""
import collections
import glob
import json
import os.path as osp
import pickle

import pytest
from tool_runner import run_tool, small_run_options


@pytest.fixture(scope='module')
def learnable_ave_root(tmp_path_factory) -> str:
    from mmcpsp.testing.synthetic_ave import generate_synthetic_ave
    root = str(tmp_path_factory.mktemp('learnable_ave'))
    generate_synthetic_ave(root, num_videos=500, seed=1, num_noisy=20)
    return root


def train_and_test(config: str, data_root: str, work_dir: str) -> tuple:
    options = small_run_options(data_root, max_epochs=6)
    options += [
        f'{split}_dataloader.batch_size=32' for split in ('train', 'val')
    ]
    result = run_tool(['tools/train.py', config, '--work-dir', work_dir,
                       '--cfg-options', *options], timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    best = glob.glob(osp.join(work_dir, 'best_avel_segment_acc_epoch_*.pth'))
    assert len(best) == 1
    metrics_file = osp.join(work_dir, 'test.json')
    dump = osp.join(work_dir, 'test.pkl')
    result = run_tool([
        'tools/test.py', config, best[0], '--work-dir', work_dir,
        '--metrics-out', metrics_file, '--dump', dump, '--cfg-options',
        *small_run_options(data_root)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    with open(metrics_file) as f:
        accuracy = json.load(f)['avel/segment_acc']
    with open(dump, 'rb') as f:
        labels = collections.Counter(
            int(label) for p in pickle.load(f)
            for label in p['gt_segment_labels'])
    majority = 100 * max(labels.values()) / sum(labels.values())
    return accuracy, majority


@pytest.mark.slow
def test_cpsp_fully_supervised_learns(learnable_ave_root, tmp_path):
    accuracy, majority = train_and_test('configs/cpsp_fully_ave.py',
                                        learnable_ave_root, str(tmp_path))
    print(f'cpsp fully: test {accuracy:.2f} %, majority {majority:.2f} %')
    assert accuracy > majority + 40


@pytest.mark.slow
def test_cpsp_weakly_supervised_learns(learnable_ave_root, tmp_path):
    accuracy, majority = train_and_test('configs/cpsp_weakly_ave.py',
                                        learnable_ave_root, str(tmp_path))
    print(f'cpsp weakly: test {accuracy:.2f} %, majority {majority:.2f} %')
    assert accuracy > majority + 20
