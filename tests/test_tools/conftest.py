"""A real training run shared by the tool tests that read its outputs."""
import glob
import os.path as osp

import numpy as np
import pytest
from tool_runner import CONFIG, run_tool, small_run_options

from mmcpsp.apis import load_feature_inputs
from mmcpsp.datasets import AVEDataset
from mmcpsp.testing.weights import write_random_vgg19, write_random_vggish

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


@pytest.fixture(scope='session')
def stitched_features(tiny_ave_root, tmp_path_factory) -> tuple:
    """A 25-second features file, ``stitched.npz``, from the first three
    test videos of the tiny AVE folder end to end, and their annotated
    events ``(class, start s, end s)`` on its time line."""
    dataset = AVEDataset(data_root=tiny_ave_root, split='test')
    parts = [
        load_feature_inputs(dict(
            data_root=tiny_ave_root,
            video_id=dataset.get_data_info(index)['video_id']))
        for index in range(3)
    ]
    path = tmp_path_factory.mktemp('stitched') / 'stitched.npz'
    np.savez(path,
             audio=np.concatenate([p.audio for p in parts])[:25],
             visual=np.concatenate([p.visual for p in parts])[:25])
    spans = [(name, start + 10 * k, end + 10 * k)
             for k, part in enumerate(parts)
             for name, start, end in part.gt_spans]
    return str(path), spans


@pytest.fixture(scope='session')
def random_extractor_weights(tmp_path_factory) -> tuple:
    """VGGish and VGG-19 weight files of random values (shapes of the real
    ones): the audio then the visual path."""
    folder = tmp_path_factory.mktemp('weights')
    write_random_vggish(str(folder / 'vggish.pth'))
    write_random_vgg19(str(folder / 'vgg19.pth'))
    return str(folder / 'vggish.pth'), str(folder / 'vgg19.pth')
