"""Bad data stops tools/train.py with one message and exit status 2."""
import os
import shutil

import h5py
import numpy as np
import pytest
from tool_runner import CONFIG, run_tool, small_run_options


def copy_data(src: str, dst: str) -> str:
    shutil.copytree(src, dst)
    return dst


def test_missing_file_is_one_message_before_training(tiny_ave_root,
                                                      tmp_path):
    data_root = copy_data(tiny_ave_root, str(tmp_path / 'data'))
    os.remove(os.path.join(data_root, 'audio_feature.h5'))
    result = run_tool([
        'tools/train.py', CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *small_run_options(data_root)
    ])
    assert result.returncode == 2
    assert 'Traceback' not in result.stderr
    error_lines = [
        line for line in result.stderr.splitlines()
        if line.startswith('Data error:')
    ]
    assert len(error_lines) == 1
    assert 'audio_feature.h5' in error_lines[0]
    assert not os.path.exists(str(tmp_path / 'work' / 'epoch_1.pth'))


def poison_first_train_row(data_root: str) -> int:
    with h5py.File(os.path.join(data_root, 'train_order.h5'), 'r') as f:
        first_train_row = int(f['order'][0])
    with h5py.File(os.path.join(data_root, 'visual_feature.h5'), 'r+') as f:
        sample = f['avadataset'][first_train_row]
        sample[0, 0, 0, 0] = np.nan
        f['avadataset'][first_train_row] = sample
    return first_train_row


@pytest.mark.parametrize('loader', ['preload', 'workers'])
def test_bad_sample_is_one_message(tiny_ave_root, tmp_path, loader):
    """Found while preloading (the configs' default), or in a DataLoader
    worker when streaming from disk."""
    data_root = copy_data(tiny_ave_root, str(tmp_path / 'data'))
    first_train_row = poison_first_train_row(data_root)
    options = small_run_options(data_root)
    if loader == 'workers':
        options += [
            'train_dataloader.dataset.preload=None',
            'train_dataloader.num_workers=2',
            'train_dataloader.persistent_workers=True'
        ]
    result = run_tool([
        'tools/train.py', CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *options
    ])
    assert result.returncode == 2, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
    error_lines = [
        line for line in result.stderr.splitlines()
        if line.startswith('Data error:')
    ]
    assert len(error_lines) == 1
    assert 'visual_feature.h5' in error_lines[0]
    assert str(first_train_row) in error_lines[0]
