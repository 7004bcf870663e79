import errno
import glob
import json
import os
import os.path as osp
import random
import signal
import stat
import subprocess
import sys
import textwrap
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmcpsp.engine import atomic_local_backend
from mmcpsp.engine.hooks import NonFiniteLossError, safe_checkpoint_hook
from mmcpsp.registry import HOOKS
from mmcpsp.utils import atomic_write
from mmcpsp.utils.checkpoint import (
    CheckpointError,
    check_hash,
    load_checkpoint_file,
)
from mmcpsp.utils.published_checkpoint import hash_in_name, sha256_of


class ToyModel(BaseModel):
    """Two loss terms; ``loss_b`` is NaN at training call ``nan_at``."""

    def __init__(self, nan_at: int = 0) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)
        self.nan_at = nan_at
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        outputs = self.linear(torch.stack(inputs))
        if mode == 'loss':
            self.calls += 1
            loss_b = outputs.abs().mean()
            if self.calls == self.nan_at:
                loss_b = loss_b * float('nan')
            return dict(loss_a=outputs.pow(2).mean(), loss_b=loss_b)
        return [dict(score=float(score)) for score in outputs.flatten()]


class RisingMetric(BaseMetric):
    """Better at every validation, so every epoch saves a new best."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        self.count += 1
        return dict(acc=float(self.count))


class FlatMetric(RisingMetric):
    """The same score at every validation."""

    def compute_metrics(self, results) -> dict:
        return dict(acc=1.0)


class ToyDataset(Dataset):
    metainfo = dict()

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=torch.full((2, ), float(index)))


def build_runner(work_dir: str,
                 max_epochs: int = 3,
                 nan_at: int = 0,
                 validate: bool = False,
                 non_finite_loss: bool = True,
                 metric=RisingMetric,
                 rule: str = 'greater',
                 **hook_kwargs):
    checkpoint = dict(type='SafeCheckpointHook', interval=1, **hook_kwargs)
    loader = dict(
        dataset=ToyDataset(),
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_size=4,
        num_workers=0)
    if validate:
        checkpoint.update(save_best='acc', rule=rule)
    return Runner(
        model=ToyModel(nan_at),
        work_dir=work_dir,
        train_dataloader=loader,
        val_dataloader=loader if validate else None,
        val_cfg=dict() if validate else None,
        val_evaluator=[metric()] if validate else None,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=checkpoint,
            non_finite_loss=dict(
                type='NonFiniteLossHook', enabled=non_finite_loss)),
        custom_hooks=[dict(type='EpochSeedHook')],
        randomness=dict(seed=7),
        default_scope='mmcpsp',
        experiment_name=osp.basename(work_dir))


def temporary_files(folder) -> list:
    return [p.name for p in folder.iterdir() if p.suffix == '.tmp']


@contextmanager
def disk_full_after(num_bytes: int):
    """Writes of the atomic backend fail with ENOSPC after ``num_bytes``."""

    @contextmanager
    def filling_write(path, mode='wb', **kwargs):
        with atomic_write(path, mode, **kwargs) as file:
            real_write = file.write

            def write(data):
                real_write(data[:num_bytes])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            file.write = write
            yield file

    real = atomic_local_backend.atomic_write
    atomic_local_backend.atomic_write = filling_write
    try:
        yield
    finally:
        atomic_local_backend.atomic_write = real


class TestSafeCheckpointHook:

    def test_registered(self):
        assert HOOKS.get('SafeCheckpointHook') is not None

    def test_keeps_latest_and_points_at_it(self, tmp_path):
        runner = build_runner(str(tmp_path), max_keep_ckpts=2)
        runner.train()
        names = sorted(p.name for p in tmp_path.iterdir()
                       if p.suffix == '.pth')
        assert names == ['epoch_2.pth', 'epoch_3.pth']
        last = (tmp_path / 'last_checkpoint').read_text()
        assert last == osp.join(str(tmp_path), 'epoch_3.pth')
        assert not [p for p in tmp_path.iterdir() if p.suffix == '.tmp']

    def test_failed_save_keeps_previous_checkpoint_reachable(self, tmp_path):
        runner = build_runner(str(tmp_path), max_keep_ckpts=1)
        real_save = runner.save_checkpoint

        def save_then_die(out_dir, filename, *args, **kwargs):
            if filename == 'epoch_2.pth':
                raise KeyboardInterrupt('killed during the save')
            return real_save(out_dir, filename, *args, **kwargs)

        runner.save_checkpoint = save_then_die
        with pytest.raises(KeyboardInterrupt):
            runner.train()
        last = (tmp_path / 'last_checkpoint').read_text()
        # MMEngine's hook would already have deleted epoch_1.pth here.
        assert last.endswith('epoch_1.pth') and osp.isfile(last)

    def test_full_disk_stops_with_one_message_and_keeps_previous(
            self, tmp_path):
        runner = build_runner(str(tmp_path), max_keep_ckpts=1)
        real_save = runner.save_checkpoint

        def fill_disk_at_epoch_2(out_dir, filename, *args, **kwargs):
            if filename != 'epoch_2.pth':
                return real_save(out_dir, filename, *args, **kwargs)
            with disk_full_after(100):
                return real_save(out_dir, filename, *args, **kwargs)

        runner.save_checkpoint = fill_disk_at_epoch_2
        with pytest.raises(CheckpointError) as error:
            runner.train()
        previous = str(tmp_path / 'epoch_1.pth')
        assert str(error.value) == (
            f'could not write {tmp_path / "epoch_2.pth"} (No space left on '
            f'device); training stopped. {previous} is intact and '
            'last_checkpoint points at it.')
        assert (tmp_path / 'last_checkpoint').read_text() == previous
        assert load_checkpoint_file(previous)['meta']['epoch'] == 1
        assert not (tmp_path / 'epoch_2.pth').exists()
        assert temporary_files(tmp_path) == []

    def test_new_best_is_written_before_the_previous_best_goes(
            self, tmp_path):
        runner = build_runner(str(tmp_path), validate=True)
        real_save = runner.save_checkpoint

        def fail_second_best(out_dir, filename, *args, **kwargs):
            if filename == 'best_acc_epoch_2.pth':
                with disk_full_after(100):
                    return real_save(out_dir, filename, *args, **kwargs)
            return real_save(out_dir, filename, *args, **kwargs)

        runner.save_checkpoint = fail_second_best
        with pytest.raises(CheckpointError, match='best_acc_epoch_2.pth'):
            runner.train()
        # MMEngine's hook removes the previous best before writing the new.
        assert (tmp_path / 'best_acc_epoch_1.pth').is_file()
        assert temporary_files(tmp_path) == []

    def test_best_replaces_previous_best(self, tmp_path):
        build_runner(str(tmp_path), validate=True).train()
        bests = sorted(p.name for p in tmp_path.glob('best_*.pth'))
        assert bests == ['best_acc_epoch_3.pth']

    def test_files_get_the_mode_of_a_plain_open(self, tmp_path):
        old_umask = os.umask(0o022)
        try:
            build_runner(str(tmp_path), validate=True).train()
        finally:
            os.umask(old_umask)
        written = [p for p in tmp_path.rglob('*') if p.is_file()]
        assert {p.name for p in written} >= {
            'epoch_3.pth', 'best_acc_epoch_3.pth', 'last_checkpoint'
        }
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in written}
        assert set(modes.values()) == {0o644}, modes

    def test_unfinished_writes_of_a_killed_run_are_removed(self, tmp_path):
        left = ['.epoch_2.pth.k2j4_x9a.tmp', '.last_checkpoint.abcd1234.tmp']
        unrelated = ['.notes.txt.abcd1234.tmp', 'epoch_x.tmp']
        for name in left + unrelated:
            (tmp_path / name).write_bytes(b'partial')
        build_runner(str(tmp_path), max_epochs=1).train()
        assert sorted(temporary_files(tmp_path)) == sorted(unrelated)

    def test_unfinished_writes_in_a_separate_out_dir(self, tmp_path):
        work_dir = tmp_path / 'work'
        # CheckpointHook saves to out_dir/<work dir name>.
        folder = tmp_path / 'out' / 'work'
        folder.mkdir(parents=True)
        (folder / '.epoch_1.pth.abcd1234.tmp').write_bytes(b'partial')
        build_runner(
            str(work_dir), max_epochs=1, out_dir=str(tmp_path / 'out')).train()
        assert sorted(p.name for p in folder.iterdir()) == ['epoch_1.pth']

    def test_published_files_carry_the_hash_of_the_file(self, tmp_path):
        build_runner(str(tmp_path), max_epochs=2, validate=True,
                     published_keys=['meta', 'state_dict']).train()
        published = sorted(p for p in tmp_path.glob('*-*.pth'))
        assert [p.name.rsplit('-', 1)[0] for p in published] == [
            'best_acc_epoch_2', 'epoch_2'
        ]
        for path in published:
            # MMEngine's hook names the file by the hash of a pickle that
            # is not the file, so no one holding it could check it.
            assert sha256_of(str(path)).startswith(hash_in_name(str(path)))
            check_hash(str(path))
            assert set(load_checkpoint_file(str(path))) == {
                'meta', 'state_dict'
            }
        assert temporary_files(tmp_path) == []

    def test_killed_publish_leaves_no_published_file(self, tmp_path):
        source = tmp_path / 'epoch_1.pth'
        torch.save(dict(meta=dict(epoch=1), state_dict=dict(
            weight=torch.zeros(1 << 20)), optimizer=dict(state={})), source)
        code = f'''
        import time
        from mmengine.fileio import get_file_backend
        import mmcpsp.utils.fileio as fileio
        from mmcpsp.engine.hooks import SafeCheckpointHook

        def slow_open(*args, **kwargs):
            f = open(*args, **kwargs)
            real_write = f.write
            def write(data):
                for start in range(0, len(data), 1 << 16):
                    real_write(data[start:start + (1 << 16)])
                    f.flush()
                    print('chunk', flush=True)
                    time.sleep(0.05)
            f.write = write
            return f

        hook = SafeCheckpointHook(
            interval=1, published_keys=['meta', 'state_dict'])
        hook.file_backend = get_file_backend(
            backend_args=dict(backend='atomic_local'))
        fileio.open = slow_open
        hook._publish_model(None, {str(source)!r})
        '''
        proc = subprocess.Popen(
            [sys.executable, '-c', textwrap.dedent(code)],
            stdout=subprocess.PIPE, text=True)
        # Kill the publisher once it is part-way through the new file (its
        # log lines come first).
        chunks = 0
        while chunks < 3:
            line = proc.stdout.readline()
            assert line, 'the publisher ended before writing'
            chunks += line.startswith('chunk')
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert sorted(p.name for p in tmp_path.glob('*.pth')) == [
            'epoch_1.pth'
        ]
        left = temporary_files(tmp_path)
        assert len(left) == 1 and left[0].startswith('.epoch_1-'), left
        # The next run removes it, as it does for checkpoints.
        assert safe_checkpoint_hook._UNFINISHED_WRITE.match(left[0])

    def test_explicit_backend_args_are_kept(self, tmp_path):
        runner = build_runner(
            str(tmp_path), max_epochs=1, backend_args=dict(backend='local'))
        runner.train()
        hook = next(h for h in runner.hooks
                    if type(h).__name__ == 'SafeCheckpointHook')
        assert hook.backend_args == dict(backend='local')
        assert (tmp_path / 'epoch_1.pth').is_file()


class TestNonFiniteLossHook:

    def test_nan_at_iteration_3_stops_there(self, tmp_path):
        # Two iterations per epoch: iteration 3 is the first of epoch 2.
        runner = build_runner(str(tmp_path), nan_at=3)
        with pytest.raises(NonFiniteLossError) as error:
            runner.train()
        last = str(tmp_path / 'epoch_1.pth')
        assert str(error.value) == (
            'the loss is not finite at iteration 3 (epoch 2, iteration 1 of '
            f'the epoch): loss_b=nan. Training stopped there; the last '
            f'checkpoint is {last}.')
        assert runner.iter == 2
        assert (tmp_path / 'last_checkpoint').read_text() == last
        assert not (tmp_path / 'epoch_2.pth').exists()

    def test_before_any_checkpoint(self, tmp_path):
        with pytest.raises(NonFiniteLossError,
                           match='iteration 1 .*no checkpoint had been'):
            build_runner(str(tmp_path), nan_at=1).train()

    def test_off_with_one_option(self, tmp_path):
        runner = build_runner(str(tmp_path), nan_at=3, non_finite_loss=False)
        runner.train()
        assert (tmp_path / 'epoch_3.pth').is_file()

    def test_in_default_runtime(self):
        from mmengine.config import Config
        cfg = Config.fromfile(
            osp.join(osp.dirname(__file__), '..', '..', 'configs',
                     '_base_', 'default_runtime.py'))
        assert cfg.default_hooks.non_finite_loss == dict(
            type='NonFiniteLossHook')


class TestEpochSeedHook:

    def test_reseeds_from_seed_and_epoch(self, tmp_path):
        runner = build_runner(str(tmp_path))
        hook = HOOKS.build(dict(type='EpochSeedHook'))
        runner.train_loop._epoch = 4
        hook.before_train_epoch(runner)
        drawn = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
        torch.manual_seed(0)
        hook.before_train_epoch(runner)
        again = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
        assert drawn == again
        torch.manual_seed(runner.seed + 4)
        assert torch.rand(1).item() == drawn[2]

    def test_explicit_seed_wins(self, tmp_path):
        runner = build_runner(str(tmp_path))
        hook = HOOKS.build(dict(type='EpochSeedHook', seed=100))
        hook.before_train_epoch(runner)
        value = torch.rand(1).item()
        torch.manual_seed(100)
        assert torch.rand(1).item() == value


@pytest.mark.parametrize('rule,best_epoch', [('greater', 1),
                                             ('greater_equal', 3)])
def test_best_checkpoint_rule_on_ties(tmp_path, rule, best_epoch):
    """'greater_equal' moves the best checkpoint to the later epoch of a
    tie (HAN's selection); 'greater' keeps the first."""
    work_dir = str(tmp_path / 'work')
    build_runner(work_dir, validate=True, metric=FlatMetric,
                 rule=rule).train()
    assert glob.glob(osp.join(work_dir, 'best_acc_epoch_*.pth')) == [
        osp.join(work_dir, f'best_acc_epoch_{best_epoch}.pth')
    ]


class TestProcessMemoryHook:

    def test_one_row_per_epoch(self, tmp_path):
        rows_file = tmp_path / 'memory.jsonl'
        runner = build_runner(str(tmp_path / 'work'), max_epochs=2)
        runner.register_hook(
            HOOKS.build(dict(type='ProcessMemoryHook',
                             out_file=str(rows_file))))
        runner.train()
        rows = [json.loads(line) for line in rows_file.read_text().split(
            '\n') if line]
        assert [row['epoch'] for row in rows] == [1, 2]
        assert all(row['rss_mib'] >= row['pss_mib'] > 0
                   and row['processes'] >= 1 for row in rows)
