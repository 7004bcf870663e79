"""Fixtures shared by the whole suite."""
import os
import os.path as osp
import shutil

import pytest

from mmcpsp.testing import generate_synthetic_ave

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def tiny_ave_root(tmp_path_factory) -> str:
    """A 50-video synthetic AVE folder (40 / 5 / 5) in the release format."""
    root = str(tmp_path_factory.mktemp('tiny_ave'))
    generate_synthetic_ave(root, num_videos=50, seed=0, num_noisy=4)
    return root


#: The real small AVE files (Annotations.txt, order files, mil_labels.h5).
AVE_META_DIR = os.environ.get(
    'MMCPSP_AVE_META',
    next((path for path in (osp.join(REPO_ROOT, '..', 'shared', 'data',
                                      'ave_meta'),
                            '/work/shared/data/ave_meta')
          if osp.isdir(path)), '/work/shared/data/ave_meta'))


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
