import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmcpsp.registry import HOOKS


class ToyModel(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        outputs = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=outputs.pow(2).mean())
        return outputs


class ToyDataset(Dataset):
    metainfo = dict()

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=torch.full((2, ), float(index)))


def build_runner(work_dir: str, max_epochs: int = 3, **hook_kwargs):
    checkpoint = dict(type='SafeCheckpointHook', interval=1, **hook_kwargs)
    return Runner(
        model=ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=checkpoint),
        custom_hooks=[dict(type='EpochSeedHook')],
        randomness=dict(seed=7),
        default_scope='mmcpsp',
        experiment_name=osp.basename(work_dir))


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
