"""tools/model_converters/publish_model.py, run in process: a published
file keeps what inference needs, is named by its SHA-256, and mmcpsp's
loaders refuse it once it no longer matches that name."""
import importlib.util
import io
import os
import os.path as osp
import runpy
import shutil
import sys
import warnings
from contextlib import redirect_stdout
from unittest import mock

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.runner import load_checkpoint

from mmcpsp.apis import init_localizer
from mmcpsp.datasets.ave import AVE_CATEGORIES
from mmcpsp.registry import MODELS
from mmcpsp.utils.checkpoint import (
    CheckpointError,
    check_resumable,
    load_checkpoint_file,
)
from mmcpsp.utils.published_checkpoint import hash_in_name, sha256_of

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO_ROOT, 'tools', 'model_converters')
PUBLISHER = osp.join(TOOLS, 'publish_model.py')
CONVERTER = osp.join(TOOLS, 'convert_official_cpsp.py')
AVVP_CONVERTER = osp.join(TOOLS, 'convert_official_avvp.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'cpsp_fully_ave.py')


def load_reference(name: str):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tests', 'test_models', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference_cpsp = load_reference('reference_cpsp')
reference_avvp = load_reference('reference_avvp')


def run_script(script: str, *args: str) -> str:
    """Run a tool in this process; what it printed."""
    printed = io.StringIO()
    with mock.patch.object(sys, 'argv', [script, *args]), \
            redirect_stdout(printed):
        runpy.run_path(script, run_name='__main__')
    return printed.getvalue()


@pytest.fixture(scope='module')
def training_checkpoint(tmp_path_factory) -> str:
    """A checkpoint as tools/train.py writes it (every runner key)."""
    torch.manual_seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = init_localizer(CONFIG)
    buffer = HistoryBuffer()
    buffer.update(0.5)
    path = str(tmp_path_factory.mktemp('train') / 'epoch_3.pth')
    torch.save(
        dict(
            meta=dict(
                epoch=3, iter=30, seed=123,
                cfg=Config.fromfile(CONFIG).pretty_text,
                dataset_meta=dict(
                    classes=AVE_CATEGORIES + ('background', ),
                    num_classes=28, background_index=28)),
            state_dict=model.state_dict(),
            optimizer=dict(state={}, param_groups=[dict(lr=1e-3)]),
            message_hub=dict(log_scalars={'train/loss': buffer},
                             runtime_info=dict(eta=np.float64(1.0))),
            param_schedulers=[dict(last_epoch=3)]), path)
    return path


def published_files(folder) -> list:
    return sorted(name for name in os.listdir(folder)
                  if name.endswith('.pth'))


def test_keeps_weights_and_inference_meta_named_by_hash(
        training_checkpoint, tmp_path):
    printed = run_script(PUBLISHER, training_checkpoint,
                         str(tmp_path / 'cpsp_fully_ave.pth'))
    [name] = published_files(tmp_path)
    path = str(tmp_path / name)
    sha256 = sha256_of(path)
    assert name == f'cpsp_fully_ave-{sha256[:8]}.pth'
    assert hash_in_name(path) == sha256[:8]
    assert printed == (
        f'Published {training_checkpoint} as {path} (sha256 {sha256}): kept '
        'meta, state_dict; dropped optimizer, message_hub, '
        'param_schedulers.\n')
    published = load_checkpoint_file(path)
    original = load_checkpoint_file(training_checkpoint)
    assert set(published) == {'meta', 'state_dict'}
    assert published['meta'] == original['meta']
    # The checkpoint alone builds the model and names its classes.
    model = init_localizer(None, path)
    assert model.dataset_meta['classes'] == AVE_CATEGORIES + ('background', )
    for key, value in model.state_dict().items():
        assert torch.equal(value, original['state_dict'][key]), key
    # A published file is weights for load_from, not a run to resume.
    with pytest.raises(CheckpointError, match='lacks optimizer, message_hub'):
        check_resumable(path)


def test_a_file_that_no_longer_matches_its_name_is_one_line(
        training_checkpoint, tmp_path):
    run_script(PUBLISHER, training_checkpoint, str(tmp_path / 'cpsp'))
    [name] = published_files(tmp_path)
    expected = hash_in_name(name)
    changed = str(tmp_path / 'changed' / name)
    os.makedirs(osp.dirname(changed))
    shutil.copyfile(tmp_path / name, changed)
    with open(changed, 'ab') as file:
        file.write(b'\0')  # what a careless copy or download might add
    with pytest.raises(CheckpointError) as error:
        init_localizer(None, changed)
    assert str(error.value) == (
        f'{changed} does not match the hash in its name: its sha256 starts '
        f'with {sha256_of(changed)[:8]}, not {expected} (changed or cut '
        'short by a download or a copy?); fetch or publish it again.')


def test_converted_official_checkpoint_publishes_alike(tmp_path):
    official = str(tmp_path / 'official.pth')
    converted = str(tmp_path / 'converted' / 'cpsp.pth')
    torch.save(reference_cpsp.random_official_state_dict(seed=4), official)
    run_script(CONVERTER, official, converted)
    printed = run_script(PUBLISHER, converted,
                         str(tmp_path / 'published' / 'cpsp_official.pth'))
    [name] = published_files(tmp_path / 'published')
    path = str(tmp_path / 'published' / name)
    assert name == f'cpsp_official-{sha256_of(path)[:8]}.pth'
    assert printed.endswith('kept meta, state_dict; dropped nothing.\n')
    model = init_localizer(None, path)
    assert model.dataset_meta['classes'] == AVE_CATEGORIES + ('background', )
    weights = load_checkpoint_file(converted)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_converted_avvp_checkpoint_publishes_alike(tmp_path):
    official = str(tmp_path / 'MMIL_Net.pt')
    converted = str(tmp_path / 'han.pth')
    torch.save(reference_avvp.random_official_state_dict('han', seed=1),
               official)
    run_script(AVVP_CONVERTER, official, converted)
    run_script(PUBLISHER, converted, str(tmp_path / 'published' / 'han.pth'))
    [name] = published_files(tmp_path / 'published')
    path = str(tmp_path / 'published' / name)
    assert name == f'han-{sha256_of(path)[:8]}.pth'
    published = load_checkpoint_file(path)
    cfg = Config.fromstring(published['meta']['cfg'], '.py')
    model = MODELS.build(cfg.model)
    # Through MMEngine's loader, which checks the name's hash too.
    load_checkpoint(model, path, strict=True)
    weights = load_checkpoint_file(converted)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_meta_without_config_is_noted(tmp_path):
    source = str(tmp_path / 'bare.pth')
    torch.save(dict(state_dict=dict(weight=torch.ones(2))), source)
    printed = run_script(PUBLISHER, source, str(tmp_path / 'bare_pub.pth'))
    assert printed.splitlines()[1] == (
        'Its meta holds no cfg or dataset_meta: give init_localizer and '
        'tools/test.py the config, whose dataset names the classes.')


def test_file_without_state_dict_is_one_line(tmp_path):
    source = str(tmp_path / 'tensors.pth')
    torch.save([torch.ones(2)], source)
    with pytest.raises(SystemExit) as error:
        run_script(PUBLISHER, source, str(tmp_path / 'out.pth'))
    assert str(error.value) == (
        f'Checkpoint error: {source} holds no state_dict: publish a '
        'checkpoint of tools/train.py or of a model converter.')
    assert published_files(tmp_path) == ['tensors.pth']
