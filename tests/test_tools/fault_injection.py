"""Hooks that inject faults into a real training run, for tests only.

Imported by a test config through ``custom_imports`` (with this folder on
``PYTHONPATH``, see :func:`fault_env`), so that tools/train.py meets the
fault where a real one would arise: in the training loop, in the loss, on
one rank, on the disk.
"""
import os
import resource
import signal
import time
from typing import Optional

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmcpsp.datasets import DataValidationError
from mmcpsp.registry import HOOKS

HERE = os.path.dirname(os.path.abspath(__file__))


def fault_config(path: str, base_config: str, *hooks: dict) -> str:
    """Write a config: ``base_config`` (absolute) with fault hooks added."""
    with open(path, 'w') as file:
        file.write(f"""_base_ = [{base_config!r}]
custom_imports = dict(
    imports=['mmcpsp', 'fault_injection'], allow_failed_imports=False)
custom_hooks = [dict(type='EpochSeedHook'), *{list(hooks)!r}]
""")
    return path


def fault_env(**extra: str) -> dict:
    """Environment entries that make this module importable by the tools."""
    paths = [HERE, os.environ.get('PYTHONPATH', '')]
    return dict(PYTHONPATH=os.pathsep.join(filter(None, paths)), **extra)


@HOOKS.register_module()
class RaiseDataErrorHook(Hook):
    """Raise a data error on one rank, before the given iteration.

    Args:
        rank (int): The rank that fails.
        iteration (int): The 1-based training iteration that fails.
    """

    def __init__(self, rank: int, iteration: int) -> None:
        self.rank = rank
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if get_rank() == self.rank and runner.iter + 1 == self.iteration:
            raise DataValidationError(
                f'injected.h5: sample of iteration {self.iteration} on rank '
                f'{self.rank} is corrupt')


@HOOKS.register_module()
class NaNLossHook(Hook):
    """Make one term of the loss NaN at one training iteration.

    Args:
        iteration (int): The 1-based training iteration whose loss is NaN.
        term (str): The loss term made NaN.
        rank (int, optional): The only rank whose loss is NaN. Defaults to
            None, meaning every rank.
    """

    priority = 'HIGHEST'

    def __init__(self, iteration: int, term: str,
                 rank: Optional[int] = None) -> None:
        self.iteration = iteration
        self.term = term
        self.rank = rank

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if runner.iter + 1 != self.iteration:
            return
        if self.rank is not None and get_rank() != self.rank:
            return
        model = runner.model.module if hasattr(runner.model,
                                               'module') else runner.model
        head = model.head  # the localizer's head computes the losses
        real_loss = head.loss

        def loss_with_nan(*args, **kwargs):
            losses = real_loss(*args, **kwargs)
            losses[self.term] = losses[self.term] * torch.tensor(float('nan'))
            del head.loss  # back to the class's method
            return losses

        head.loss = loss_with_nan


@HOOKS.register_module()
class FileSizeLimitHook(Hook):
    """Limit the size of files the process writes, from an epoch on.

    Runs after the checkpoint hook of the epoch before, so the checkpoints
    written until then are whole and the next one fails part way. SIGXFSZ
    is ignored, so a write past the limit fails with ``EFBIG`` instead of
    killing the process.

    Args:
        epoch (int): The first (1-based) epoch whose checkpoint cannot be
            written whole.
        max_bytes (int): The file-size limit.
    """

    priority = 'LOWEST'

    def __init__(self, epoch: int, max_bytes: int) -> None:
        self.epoch = epoch
        self.max_bytes = max_bytes

    def before_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE,
                               (self.max_bytes, self.max_bytes))


@HOOKS.register_module()
class HangHook(Hook):
    """Make one rank stop responding (alive, but in no collective).

    Args:
        rank (int): The rank that hangs.
        iteration (int): The 1-based training iteration before which it
            hangs.
    """

    def __init__(self, rank: int, iteration: int) -> None:
        self.rank = rank
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if get_rank() == self.rank and runner.iter + 1 == self.iteration:
            time.sleep(3600)
