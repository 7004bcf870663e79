"""tools/train.py and tools/test.py under faults: bad checkpoints, a NaN
loss, a file-size limit, the umask, --amp without a GPU, resuming from
weights alone."""
import os
import os.path as osp
import stat

import pytest
import torch
from fault_injection import fault_config, fault_env
from mmengine.config import Config
from tool_runner import (
    CONFIG,
    REPO_ROOT,
    run_tool,
    small_run_options,
    tool_env,
)

from mmcpsp.engine.mixed_precision import (
    GPU_AMP_ON_BF16_CPU,
    NO_MIXED_PRECISION,
)
from mmcpsp.engine.optim_wrappers import cpu_supports_bfloat16
from mmcpsp.utils.checkpoint import load_checkpoint_file

MAX_EPOCHS = 2
ABS_CONFIG = osp.join(REPO_ROOT, CONFIG)


class RunsCode:
    """Unpickling it runs a shell command that creates ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def one_line(stderr: str, prefix: str) -> str:
    """The only line of ``stderr`` starting with ``prefix``."""
    lines = [line for line in stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, stderr[-3000:]
    assert 'Traceback' not in stderr, stderr[-3000:]
    return lines[0]


def train(work_dir: str, data_root: str, *extra: str, config=CONFIG,
          options=(), **kwargs):
    return run_tool([
        'tools/train.py', config, '--work-dir', work_dir, *extra,
        '--cfg-options', *small_run_options(data_root, MAX_EPOCHS), *options
    ], **kwargs)


def modes(folder: str) -> tuple:
    """The modes of the folders and of the files under ``folder``."""
    folders, files = {}, {}
    for root, dir_names, file_names in os.walk(folder):
        for names, found in ((dir_names, folders), (file_names, files)):
            for name in names:
                path = osp.join(root, name)
                found[osp.relpath(path, folder)] = stat.S_IMODE(
                    os.stat(path).st_mode)
    return folders, files


@pytest.fixture(scope='module')
def trained(tiny_ave_root, tmp_path_factory) -> str:
    """Two epochs trained under umask 022."""
    work_dir = str(tmp_path_factory.mktemp('trained'))
    result = train(work_dir, tiny_ave_root, umask=0o022)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


@pytest.fixture
def crafted(tmp_path) -> tuple:
    """A .pth whose pickle would create a marker file, and that marker."""
    path, marker = tmp_path / 'crafted.pth', tmp_path / 'marker'
    torch.save({'state_dict': {}, 'meta': {}, 'x': RunsCode(str(marker))},
               path)
    return str(path), marker


def test_files_get_the_mode_of_a_plain_open(trained, tiny_ave_root,
                                            tmp_path):
    # The test run reads the trained checkpoint with no opt-in, too.
    result = run_tool([
        'tools/test.py', CONFIG, osp.join(trained, 'epoch_2.pth'),
        '--work-dir',
        str(tmp_path / 'test'), '--dump',
        str(tmp_path / 'results' / 'predictions.pkl'), '--metrics-out',
        str(tmp_path / 'results' / 'metrics.json'), '--cfg-options',
        *small_run_options(tiny_ave_root)
    ], umask=0o022)
    assert result.returncode == 0, result.stderr[-3000:]
    train_folders, train_files = modes(trained)
    test_folders, test_files = modes(str(tmp_path))
    files = {**train_files, **test_files}
    assert {'epoch_2.pth', 'last_checkpoint', 'results/predictions.pkl',
            'results/metrics.json'} <= set(files)
    assert any(name.startswith('best_') for name in files)
    assert set(files.values()) == {0o644}, files
    assert set({**train_folders, **test_folders}.values()) == {0o755}


def test_resume_from_a_truncated_checkpoint_names_it(trained, tiny_ave_root,
                                                     tmp_path):
    checkpoint = str(tmp_path / 'epoch_1.pth')
    with open(osp.join(trained, 'epoch_1.pth'), 'rb') as file:
        data = file.read()
    with open(checkpoint, 'wb') as file:
        file.write(data[:len(data) * 2 // 3])
    result = train(
        str(tmp_path / 'work'), tiny_ave_root, '--resume', checkpoint)
    assert result.returncode == 2
    assert one_line(result.stderr, 'Checkpoint error') == (
        f'Checkpoint error: {checkpoint} is not a readable checkpoint '
        '(truncated or corrupt?): the zip archive has no central directory '
        'at its end: the file was cut short (a save or copy that did not '
        'finish?)')


def test_crafted_checkpoint_refused_by_test_py(crafted, tiny_ave_root,
                                               tmp_path):
    path, marker = crafted
    result = run_tool([
        'tools/test.py', CONFIG, path, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        *small_run_options(tiny_ave_root)
    ])
    assert result.returncode == 2
    line = one_line(result.stderr, 'Checkpoint error')
    assert line.startswith(
        f'Checkpoint error: {path} was not loaded: it needs posix.system,')
    assert '--trust-checkpoint' in line
    assert not marker.exists()


def test_crafted_checkpoint_refused_as_load_from(crafted, tiny_ave_root,
                                                 tmp_path):
    path, marker = crafted
    result = train(
        str(tmp_path / 'work'), tiny_ave_root, options=[f'load_from={path}'])
    assert result.returncode == 2
    assert one_line(result.stderr, 'Checkpoint error').startswith(
        f'Checkpoint error: {path} was not loaded: it needs posix.system,')
    assert not marker.exists()
    assert not osp.exists(str(tmp_path / 'work' / 'epoch_1.pth'))


def test_trust_checkpoint_loads_as_before(crafted, tiny_ave_root, tmp_path):
    path, marker = crafted
    result = run_tool([
        'tools/test.py', CONFIG, path, '--trust-checkpoint', '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        *small_run_options(tiny_ave_root)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    assert marker.exists()  # what an explicit opt-in allows


def test_nan_loss_at_iteration_3_stops_there(tiny_ave_root, tmp_path):
    config = fault_config(
        str(tmp_path / 'nan.py'), ABS_CONFIG,
        dict(type='NaNLossHook', iteration=3, term='loss_cls'))
    work_dir = str(tmp_path / 'work')
    # 40 training videos, 20 per batch: iteration 3 opens epoch 2.
    result = train(
        work_dir,
        tiny_ave_root,
        config=config,
        options=['train_dataloader.batch_size=20'],
        env=tool_env(**fault_env()))
    assert result.returncode == 2, result.stderr[-3000:]
    last = osp.join(work_dir, 'epoch_1.pth')
    assert one_line(result.stderr, 'Training error') == (
        'Training error: the loss is not finite at iteration 3 (epoch 2, '
        'iteration 1 of the epoch): loss_cls=nan. Training stopped there; '
        f'the last checkpoint is {last}.')
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        assert file.read() == last
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))


def test_save_beyond_a_file_size_limit_keeps_the_previous(
        tiny_ave_root, tmp_path):
    # A checkpoint is about 18 MB; logs stay far below 4 MB.
    config = fault_config(
        str(tmp_path / 'fsize.py'), ABS_CONFIG,
        dict(type='FileSizeLimitHook', epoch=2, max_bytes=4 << 20))
    work_dir = str(tmp_path / 'work')
    result = train(
        work_dir, tiny_ave_root, config=config, env=tool_env(**fault_env()))
    assert result.returncode == 2, result.stderr[-3000:]
    previous = osp.join(work_dir, 'epoch_1.pth')
    assert one_line(result.stderr, 'Checkpoint error') == (
        f'Checkpoint error: could not write {work_dir}/epoch_2.pth (File '
        f'too large); training stopped. {previous} is intact and '
        'last_checkpoint points at it.')
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        assert file.read() == previous
    assert load_checkpoint_file(previous)['meta']['epoch'] == 1
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    assert not [name for name in os.listdir(work_dir) if '.tmp' in name]


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs no GPU')
def test_amp_without_a_gpu(tiny_ave_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    result = train(work_dir, tiny_ave_root, '--amp',
                   options=['train_cfg.max_epochs=1'])
    if not cpu_supports_bfloat16():
        assert result.returncode == 2
        assert one_line(result.stderr, 'Precision error') == (
            f'Precision error: {NO_MIXED_PRECISION}')
        return
    # A CPU with bfloat16 kernels trains in bfloat16.
    assert result.returncode == 0, result.stderr[-3000:]
    dumped = Config.fromfile(osp.join(work_dir, 'cpsp_fully_ave.py'))
    assert dumped.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert 'loss_scale' not in dumped.optim_wrapper
    state_dict = load_checkpoint_file(osp.join(work_dir,
                                               'epoch_1.pth'))['state_dict']
    assert {value.dtype for value in state_dict.values()
            if value.is_floating_point()} == {torch.float32}


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs no GPU')
def test_config_amp_optim_wrapper_without_a_gpu_is_one_line(
        tiny_ave_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    result = train(work_dir, tiny_ave_root,
                   options=['optim_wrapper.type=AmpOptimWrapper'])
    assert result.returncode == 2
    # The line of --amp where the CPU cannot help either.
    expected = (GPU_AMP_ON_BF16_CPU
                if cpu_supports_bfloat16() else NO_MIXED_PRECISION)
    assert one_line(result.stderr,
                    'Precision error') == f'Precision error: {expected}'
    assert not osp.exists(osp.join(work_dir, 'epoch_1.pth'))


@pytest.mark.parametrize('content, lacking', [
    ('state_dict', 'meta, optimizer, message_hub'),
    ('published', 'optimizer, message_hub'),
])
def test_resume_from_weights_alone_is_one_line(trained, tiny_ave_root,
                                               tmp_path, content, lacking):
    checkpoint = load_checkpoint_file(osp.join(trained, 'epoch_1.pth'))
    path = str(tmp_path / 'weights.pth')
    torch.save(
        checkpoint['state_dict'] if content == 'state_dict' else dict(
            meta=checkpoint['meta'], state_dict=checkpoint['state_dict']),
        path)
    work_dir = str(tmp_path / 'work')
    result = train(work_dir, tiny_ave_root, '--resume', path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert one_line(result.stderr, 'Checkpoint error') == (
        f'Checkpoint error: cannot resume from {path}: it is not a training '
        f'checkpoint (it lacks {lacking}). To start training from its '
        f'weights alone, use load_from={path} without --resume '
        '(resume=False).')
    # Stopped before training: no log of an epoch, no checkpoint.
    assert not osp.exists(osp.join(work_dir, 'epoch_1.pth'))
