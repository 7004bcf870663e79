"""Fixtures shared by the whole suite."""
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def tiny_ave_root(tmp_path_factory) -> str:
    """A 50-video synthetic AVE folder (40 / 5 / 5) in the release format."""
    from mmcpsp.datasets.synthetic_ave import generate_synthetic_ave
    root = str(tmp_path_factory.mktemp('tiny_ave'))
    generate_synthetic_ave(root, num_videos=50, seed=0, num_noisy=4)
    return root
