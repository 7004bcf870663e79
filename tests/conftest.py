"""Fixtures shared by the whole suite."""
import os
import os.path as osp
import shutil

import pytest

from mmcpsp.testing import generate_synthetic_ave, generate_synthetic_llp

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def tiny_ave_root(tmp_path_factory) -> str:
    """A 50-video synthetic AVE folder (40 / 5 / 5) in the release format."""
    root = str(tmp_path_factory.mktemp('tiny_ave'))
    generate_synthetic_ave(root, num_videos=50, seed=0, num_noisy=4)
    return root


def _shared_data_dir(name: str, variable: str) -> str:
    """``$variable``, else shared/data/<name> beside the checkout, else
    /work/shared/data/<name>."""
    default = f'/work/shared/data/{name}'
    return os.environ.get(
        variable,
        next((path for path in (osp.join(REPO_ROOT, '..', 'shared', 'data',
                                          name), default)
              if osp.isdir(path)), default))


#: The real small AVE files (Annotations.txt, order files, mil_labels.h5).
AVE_META_DIR = _shared_data_dir('ave_meta', 'MMCPSP_AVE_META')
#: The six real LLP annotation files (no features).
LLP_META_DIR = _shared_data_dir('llp_meta', 'MMCPSP_LLP_META')


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


@pytest.fixture(scope='session')
def llp_meta_dir() -> str:
    if not os.path.isfile(os.path.join(LLP_META_DIR, 'AVVP_train.csv')):
        pytest.skip(f'the real LLP annotation files are not in '
                    f'{LLP_META_DIR} (set MMCPSP_LLP_META)')
    return LLP_META_DIR


@pytest.fixture(scope='session')
def tiny_llp_root(tmp_path_factory) -> str:
    """A 40-video synthetic LLP folder (32 / 4 / 4) in the release layout,
    with the release's quirks."""
    root = str(tmp_path_factory.mktemp('tiny_llp'))
    generate_synthetic_llp(root, num_videos=40, seed=0)
    return root


@pytest.fixture
def llp_copy(tiny_llp_root, tmp_path) -> str:
    """A private copy of the tiny LLP folder, free to corrupt."""
    root = str(tmp_path / 'llp')
    shutil.copytree(tiny_llp_root, root)
    return root
