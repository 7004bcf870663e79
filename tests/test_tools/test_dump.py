"""``tools/test.py --dump`` writes a few kilobytes per video, whatever the
loader (the configs' preloaded store, or DataLoader workers)."""
import json
import os
import pickle

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from tool_runner import CONFIG, REPO_ROOT, run_tool

from mmcpsp.registry import MODELS


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> str:
    """Random weights of the config's model, as a checkpoint file."""
    init_default_scope('mmcpsp')
    cfg = Config.fromfile(os.path.join(REPO_ROOT, CONFIG))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'model.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    return path


@pytest.mark.parametrize('loader', ['config', 'workers'])
def test_dump_is_small_per_video(tiny_ave_root, checkpoint, tmp_path,
                                 loader):
    dump = str(tmp_path / 'predictions.pkl')
    # An option on the metric, with --dump (which appends a dump metric:
    # the option must address the config as written).
    options = [f'test_dataloader.dataset.data_root={tiny_ave_root}',
               'test_evaluator.prefix=split']
    if loader == 'workers':
        options += [
            'test_dataloader.dataset.preload=None',
            'test_dataloader.num_workers=2',
            'test_dataloader.persistent_workers=True',
            'test_dataloader.batch_size=2',
        ]
    result = run_tool([
        'tools/test.py', CONFIG, checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--dump', dump, '--metrics-out',
        str(tmp_path / 'metrics.json'), '--cfg-options', *options
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / 'metrics.json') as file:
        assert 'split/segment_acc' in json.load(file)
    with open(dump, 'rb') as file:
        predictions = pickle.load(file)
    assert len(predictions) == 5
    assert {int(p['sample_idx']) for p in predictions} == set(range(5))
    per_video = os.path.getsize(dump) / len(predictions)
    # Labels, scores and meta of one video: about 1.5 kB. A view into a
    # batch would drag the batch's whole storage into the file.
    assert per_video < 4096, per_video
    for prediction in predictions:
        for value in prediction.values():
            if isinstance(value, torch.Tensor):
                assert value.untyped_storage().nbytes() == (
                    value.numel() * value.element_size())
