"""A real training run shared by the tool tests that read its outputs."""
import glob
import os.path as osp

import pytest
from tool_runner import CONFIG, run_tool, small_run_options

#: Epochs of the shared run (5 iterations each on the tiny AVE folder).
TRAINED_EPOCHS = 2


@pytest.fixture(scope='session')
def trained_run(tiny_ave_root, tmp_path_factory) -> str:
    """Work dir of tools/train.py run for 2 epochs on the tiny AVE folder.

    It holds ``epoch_2.pth`` and ``<timestamp>/vis_data/scalars.json``.
    """
    work_dir = str(tmp_path_factory.mktemp('trained_run'))
    result = run_tool([
        'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
        *small_run_options(tiny_ave_root, TRAINED_EPOCHS)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    assert glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    return work_dir


@pytest.fixture(scope='session')
def trained_checkpoint(trained_run) -> str:
    return osp.join(trained_run, f'epoch_{TRAINED_EPOCHS}.pth')
