"""Helpers for the dataset tests: expected errors, rewriting HDF5 files."""
import hashlib
import os
from typing import Callable, Dict, Sequence, Tuple

import h5py
import numpy as np
import pytest

from mmcpsp.datasets import AVEDataset, DataValidationError


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
