"""Synthetic AVE folders and helpers for the AVE dataset tests."""
import hashlib
import os
import shutil
from typing import Callable, Dict, Sequence, Tuple

import h5py
import numpy as np
import pytest

from mmcpsp.datasets import AVEDataset, DataValidationError
from mmcpsp.datasets.synthetic_ave import generate_synthetic_ave

#: The real small AVE files (Annotations.txt, order files, mil_labels.h5).
AVE_META_DIR = os.environ.get('MMCPSP_AVE_META', '/work/shared/data/ave_meta')


@pytest.fixture(scope='session')
def ave_meta_dir() -> str:
    if not os.path.isfile(os.path.join(AVE_META_DIR, 'Annotations.txt')):
        pytest.skip(f'the real AVE meta files are not in {AVE_META_DIR} '
                    '(set MMCPSP_AVE_META)')
    return AVE_META_DIR


@pytest.fixture(scope='session')
def ave_meta_root(tmp_path_factory, ave_meta_dir) -> str:
    """4,143 synthetic videos following the real annotations and splits."""
    root = str(tmp_path_factory.mktemp('ave_meta'))
    generate_synthetic_ave(root, meta_dir=ave_meta_dir, seed=0)
    return root


@pytest.fixture(scope='session')
def ave_small_root(tmp_path_factory) -> str:
    """40 synthetic videos (32 / 4 / 4) and 6 noisy ones, lzf-compressed."""
    root = str(tmp_path_factory.mktemp('ave_small'))
    generate_synthetic_ave(root, num_videos=40, seed=1, num_noisy=6)
    return root


@pytest.fixture
def ave_copy(ave_small_root, tmp_path) -> str:
    """A private copy of the small folder, free to corrupt."""
    root = str(tmp_path / 'ave')
    shutil.copytree(ave_small_root, root)
    return root


def _snapshot(folder: str) -> Dict[str, Tuple[str, int]]:
    state = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        with open(path, 'rb') as file:
            digest = hashlib.sha256(file.read()).hexdigest()
        state[name] = (digest, os.stat(path).st_mtime_ns)
    return state


@pytest.fixture
def expect_error() -> Callable[..., DataValidationError]:
    """Build AVEDataset on a folder, expect DataValidationError whose
    message holds every fragment, and check that no file changed."""

    def run(data_root: str, fragments: Sequence[str],
            **kwargs) -> DataValidationError:
        before = _snapshot(data_root)
        kwargs.setdefault('split', 'train')
        with pytest.raises(DataValidationError) as info:
            AVEDataset(data_root=data_root, **kwargs)
        message = str(info.value)
        for fragment in fragments:
            assert fragment in message, (fragment, message)
        assert _snapshot(data_root) == before
        return info.value

    return run


@pytest.fixture
def rewrite_h5() -> Callable[..., None]:
    """Replace an HDF5 file by one holding ``data`` under ``key``."""

    def run(path: str, data: np.ndarray, key: str = 'avadataset') -> None:
        os.remove(path)
        with h5py.File(path, 'w') as h5_file:
            h5_file.create_dataset(key, data=data)

    return run


@pytest.fixture
def read_h5() -> Callable[..., np.ndarray]:

    def run(path: str, key: str = 'avadataset') -> np.ndarray:
        with h5py.File(path, 'r') as h5_file:
            return h5_file[key][()]

    return run
