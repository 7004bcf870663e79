"""--amp on a CPU with bfloat16 kernels: tools/train.py trains and resumes
bit-identically within the bfloat16 run, with float32 checkpoints;
tools/test.py --amp scores the checkpoint."""
import json
import os
import os.path as osp
import shutil

import pytest
import torch
from test_train_resume import (
    MAX_EPOCHS,
    assert_same_weights,
    final_state,
    losses_by_step,
    train_args,
)
from tool_runner import CONFIG, run_tool

from mmcpsp.engine import cpu_supports_bfloat16

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available() or not cpu_supports_bfloat16(),
    reason='the CPU wrapper: a CPU with bfloat16 kernels and no GPU')


@pytest.fixture(scope='module')
def amp_run(tiny_ave_root, tmp_path_factory) -> str:
    work_dir = str(tmp_path_factory.mktemp('amp_run'))
    result = run_tool(train_args(work_dir, tiny_ave_root, '--amp'))
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def test_resume_within_bfloat16_is_bit_identical(amp_run, tiny_ave_root,
                                                 tmp_path):
    work_dir = str(tmp_path / 'resumed')
    os.makedirs(work_dir)
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    shutil.copy(osp.join(amp_run, 'epoch_1.pth'), checkpoint)
    result = run_tool(
        train_args(work_dir, tiny_ave_root, '--amp', '--resume', checkpoint))
    assert result.returncode == 0, result.stderr[-3000:]
    expected, resumed = losses_by_step(amp_run), losses_by_step(work_dir)
    assert resumed and min(resumed) > 1
    for step, loss in resumed.items():
        assert loss == expected[step], step
    state = final_state(amp_run)
    assert_same_weights(state, final_state(work_dir))
    assert {value.dtype for value in state.values()
            if value.is_floating_point()} == {torch.float32}


def test_test_py_amp_scores_the_checkpoint(amp_run, tiny_ave_root,
                                           tmp_path):
    scores = {}
    for amp in ([], ['--amp']):
        out = tmp_path / f'metrics{len(amp)}.json'
        result = run_tool([
            'tools/test.py', CONFIG,
            osp.join(amp_run, f'epoch_{MAX_EPOCHS}.pth'), '--work-dir',
            str(tmp_path / 'w'), '--metrics-out', str(out), *amp,
            '--cfg-options',
            f'test_dataloader.dataset.data_root={tiny_ave_root}'
        ])
        assert result.returncode == 0, result.stderr[-3000:]
        scores[bool(amp)] = json.loads(out.read_text())['avel/segment_acc']
    # bfloat16 inference moves a few test segments at most.
    assert abs(scores[True] - scores[False]) <= 10.0
