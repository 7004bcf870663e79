"""tools/train.py end to end: resuming, and surviving SIGKILL."""
import glob
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from tool_runner import (
    CONFIG,
    REPO_ROOT,
    read_scalars,
    run_tool,
    small_run_options,
    tool_env,
)

from mmcpsp.utils.checkpoint import load_checkpoint_file

MAX_EPOCHS = 3


def train_args(work_dir: str, data_root: str, *extra: str) -> list:
    return [
        'tools/train.py', CONFIG, '--work-dir', work_dir, '--deterministic',
        *extra, '--cfg-options', *small_run_options(data_root, MAX_EPOCHS)
    ]


def final_state(work_dir: str) -> dict:
    checkpoint = load_checkpoint_file(
        osp.join(work_dir, f'epoch_{MAX_EPOCHS}.pth'), map_location='cpu')
    return checkpoint['state_dict']


def losses_by_step(work_dir: str) -> dict:
    return {
        record['step']: record['loss']
        for record in read_scalars(work_dir) if 'loss' in record
    }


def final_metrics(work_dir: str) -> dict:
    return [r for r in read_scalars(work_dir) if 'avel/segment_acc' in r][-1]


def assert_same_weights(expected: dict, actual: dict) -> None:
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key


@pytest.fixture(scope='module')
def uninterrupted(tiny_ave_root, tmp_path_factory) -> str:
    work_dir = str(tmp_path_factory.mktemp('uninterrupted'))
    result = run_tool(train_args(work_dir, tiny_ave_root))
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def test_trains_validates_and_keeps_best(uninterrupted):
    metrics = [
        r for r in read_scalars(uninterrupted) if 'avel/segment_acc' in r
    ]
    assert [r['step'] for r in metrics] == list(range(1, MAX_EPOCHS + 1))
    assert len(glob.glob(osp.join(uninterrupted, 'best_avel_segment_acc_*'))) \
        == 1


def test_resume_from_epoch_checkpoint_is_bit_identical(
        uninterrupted, tiny_ave_root, tmp_path):
    work_dir = str(tmp_path / 'resumed')
    os.makedirs(work_dir)
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    shutil.copy(osp.join(uninterrupted, 'epoch_1.pth'), checkpoint)
    result = run_tool(
        train_args(work_dir, tiny_ave_root, '--resume', checkpoint))
    assert result.returncode == 0, result.stderr[-3000:]

    expected_losses = losses_by_step(uninterrupted)
    resumed_losses = losses_by_step(work_dir)
    assert resumed_losses and min(resumed_losses) > 1
    for step, loss in resumed_losses.items():
        assert loss == expected_losses[step], step
    assert_same_weights(final_state(uninterrupted), final_state(work_dir))


def test_sigkill_then_resume_auto_finishes_like_uninterrupted(
        uninterrupted, tiny_ave_root, tmp_path):
    work_dir = str(tmp_path / 'killed')
    process = subprocess.Popen(
        [sys.executable, *train_args(work_dir, tiny_ave_root)],
        cwd=REPO_ROOT,
        env=tool_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    # Wait for the first checkpoint, then kill during the next save if one
    # is caught in the act (a temporary file exists), else mid-epoch.
    last_checkpoint = osp.join(work_dir, 'last_checkpoint')
    deadline = time.monotonic() + 300
    while not osp.exists(last_checkpoint):
        assert process.poll() is None, 'training ended before a checkpoint'
        assert time.monotonic() < deadline
        time.sleep(0.01)
    kill_at = time.monotonic() + 1.0
    while time.monotonic() < kill_at and not glob.glob(
            osp.join(work_dir, '.*.tmp')):
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not osp.exists(osp.join(work_dir, f'epoch_{MAX_EPOCHS}.pth'))

    result = run_tool(train_args(work_dir, tiny_ave_root, '--resume'))
    assert result.returncode == 0, result.stderr[-3000:]
    expected, resumed = final_metrics(uninterrupted), final_metrics(work_dir)
    for key in ('avel/segment_acc', 'avel/event_acc', 'avel/background_acc'):
        assert resumed[key] == expected[key], key
    assert_same_weights(final_state(uninterrupted), final_state(work_dir))
