"""Shared start-up and shut-down of tools/train.py and tools/test.py."""
import signal
import sys
from typing import Any, Callable, Optional, Tuple, Type

from mmengine.config import Config
from mmengine.dist import get_dist_info
from mmengine.runner import Runner, find_latest_checkpoint

from mmcpsp.compat import finalize_distributed, unwrap_registry_error
from mmcpsp.datasets import DataValidationError
from mmcpsp.datasets.errors import InsufficientMemoryError
from mmcpsp.engine.hooks import NonFiniteLossError
from mmcpsp.engine.mixed_precision import (
    check_mixed_precision,
    enable_mixed_precision,
)
from mmcpsp.engine.optim_wrappers import MixedPrecisionUnavailable
from mmcpsp.registry import RUNNERS
from mmcpsp.utils.checkpoint import (
    CheckpointError,
    check_resumable,
    trust_checkpoints,
)

#: Errors whose message says what to fix: printed alone, exit status 2.
REPORTED_ERRORS: Tuple[Tuple[Type[Exception], str], ...] = (
    (DataValidationError, 'Data error'),
    (InsufficientMemoryError, 'Memory error'),
    (CheckpointError, 'Checkpoint error'),
    (NonFiniteLossError, 'Training error'),
    (MixedPrecisionUnavailable, 'Precision error'),
)


def build_runner(cfg: Config) -> Runner:
    """Build the runner of a config: ``runner_type`` if set, else Runner."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def resume_source(cfg: Config) -> Optional[str]:
    """The checkpoint a training run of ``cfg`` resumes from, if any.

    As MMEngine's runner decides it: ``load_from`` with ``resume=True``,
    else with ``resume=True`` alone the file ``last_checkpoint`` of the
    work dir names; None when the run does not resume (or finds nothing
    to resume from, and starts afresh).
    """
    if not cfg.get('resume', False):
        return None
    if cfg.get('load_from') is not None:
        return str(cfg.load_from)
    work_dir = cfg.get('work_dir')
    return None if work_dir is None else find_latest_checkpoint(work_dir)


def prepare_training(cfg: Config, amp: bool = False) -> Config:
    """Settle and check what a training run needs, before anything is built.

    ``amp`` (``tools/train.py --amp``) sets this machine's mixed-precision
    optimizer wrapper (:mod:`mmcpsp.engine.mixed_precision`); a wrapper
    that cannot run here, or a checkpoint to resume from that is not a
    training checkpoint, stops the run with one line before the datasets
    are built. Call it inside :func:`run_safely`, which prints that line.

    Args:
        cfg (Config): The training config, changed in place.
        amp (bool): Train in mixed precision. Defaults to False.

    Returns:
        Config: ``cfg``.

    Raises:
        MixedPrecisionUnavailable: The wrapper cannot run on this machine.
        CheckpointError: The checkpoint to resume from is missing,
            unreadable or holds no training state.
    """
    if amp:
        enable_mixed_precision(cfg)
    check_mixed_precision(cfg)
    resume_from = resume_source(cfg)
    if resume_from is not None and '://' not in resume_from:
        check_resumable(resume_from)
    return cfg


def enable_visualization(cfg: Config, show_dir: str,
                         interval: int = 1) -> None:
    """Draw the timeline of test videos into ``show_dir``.

    ``tools/test.py --show-dir`` (MMAction2's convention): the config's
    ``default_hooks.visualization`` (``AVELVisualizationHook`` when the
    config has none) is enabled with ``out_dir=show_dir``.

    Args:
        cfg (Config): The config, changed in place.
        show_dir (str): Folder of the figures, one ``<video_id>.png`` each.
        interval (int): Draw one test video in ``interval``. Defaults to 1.
    """
    if interval < 1:
        raise ValueError(f'interval must be at least 1, got {interval}.')
    if cfg.get('default_hooks') is None:
        cfg.default_hooks = dict()
    hooks = cfg.default_hooks
    hook = hooks.get('visualization') or dict(type='AVELVisualizationHook')
    hook.update(enable=True, out_dir=show_dir, interval=interval)
    hooks['visualization'] = hook


def reported_message(error: Exception) -> str:
    """The user-facing text of a reported error, wherever it was raised.

    Errors from DataLoader workers arrive with the worker's traceback
    embedded in the message, and errors from constructors may carry registry
    prefixes; only the message itself is kept.
    """
    message = unwrap_registry_error(str(error)).strip()
    if 'Original Traceback' not in message:
        return message
    last_line = message.splitlines()[-1]
    prefix = f'{type(error).__module__}.{type(error).__name__}: '
    return last_line[len(prefix):] if last_line.startswith(prefix) else last_line


# What gloo reports on a rank whose peer process has ended, or has not
# joined a collective within the process group's timeout.
_PEER_GONE = ('Connection closed by peer', 'Connection reset by peer',
              'Broken pipe')
_TIMED_OUT = ('Timed out', 'timed out')


def distributed_error_line(error: BaseException) -> Optional[str]:
    """One line for a rank whose collective failed because of a peer.

    The traceback of such a rank says nothing about the cause: a peer that
    ended has reported its own error, and a peer that hangs is the one to
    look at. None if ``error`` is something else or the run is not
    distributed.
    """
    rank, world_size = get_dist_info()
    if world_size == 1 or not isinstance(error, RuntimeError):
        return None
    text = str(error)
    if any(phrase in text for phrase in _PEER_GONE):
        return (f'Distributed error (rank {rank}): another rank ended while '
                'this one waited for it (see the message of that rank).')
    if any(phrase in text for phrase in _TIMED_OUT):
        return (f'Distributed error (rank {rank}): another rank did not join '
                'a collective within the process group timeout '
                '(env_cfg.dist_cfg.timeout); it is stuck or far slower.')
    return None


def error_line(error: BaseException) -> Optional[str]:
    """The one line that reports ``error``, or None if it is unexpected.

    In a distributed run the line names the rank it comes from.
    """
    for error_type, label in REPORTED_ERRORS:
        if isinstance(error, error_type):
            rank, world_size = get_dist_info()
            where = f' (rank {rank})' if world_size > 1 else ''
            return f'{label}{where}: {reported_message(error)}'
    return None


def _write_line(line: str) -> None:
    # One write of the whole line: ranks share stderr, and print's two
    # writes (text, then newline) let another rank's line land between.
    sys.stderr.write(f'{line}\n')
    sys.stderr.flush()


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # Unwinds like any exit, so a file being written is removed, not left.
    raise SystemExit(128 + signum)


def run_safely(job: Callable[[], Any], trust_checkpoint: bool = False) -> Any:
    """Run ``job``, report known errors in one line, end distribution.

    A data error (a dataset file that is not as distributed), a checkpoint
    that cannot be read or written, or a loss that is not finite is printed
    alone, without a traceback, and the process exits with status 2. A rank
    whose collective failed because a peer ended or hangs says so in one
    line (status 1); any other exception propagates (status 1).

    Only a job that succeeded tears the process group down: a failed rank
    exits at once, since its peers may be waiting in a collective it will
    never join, and the launcher (torchrun) then ends them with SIGTERM.
    SIGTERM ends the job through an exception too (status 143), so a file
    being written is removed rather than left truncated.

    Args:
        job (Callable): Builds and runs the runner; its result is returned.
        trust_checkpoint (bool): Load checkpoints with code execution
            enabled (``--trust-checkpoint``). Defaults to False.
    """
    previous_handler = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with trust_checkpoints(trust_checkpoint):
            result = job()
    except tuple(error_type for error_type, _ in REPORTED_ERRORS) as error:
        _write_line(error_line(error))
        sys.exit(2)
    except RuntimeError as error:
        line = distributed_error_line(error)
        if line is None:
            raise
        _write_line(line)
        sys.exit(1)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    finalize_distributed()
    return result
