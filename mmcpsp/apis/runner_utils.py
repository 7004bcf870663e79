"""Shared start-up and shut-down of tools/train.py and tools/test.py."""
import sys
from typing import Any, Callable

from mmengine.config import Config
from mmengine.runner import Runner

from mmcpsp.compat import finalize_distributed, unwrap_registry_error
from mmcpsp.datasets import DataValidationError
from mmcpsp.registry import RUNNERS


def build_runner(cfg: Config) -> Runner:
    """Build the runner of a config: ``runner_type`` if set, else Runner."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


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


def data_error_message(error: DataValidationError) -> str:
    """The user-facing text of a data error, wherever it was raised.

    Errors from DataLoader workers arrive with the worker's traceback
    embedded in the message, and errors from constructors may carry registry
    prefixes; only the message itself is kept.
    """
    message = unwrap_registry_error(str(error)).strip()
    if 'Original Traceback' not in message:
        return message
    last_line = message.splitlines()[-1]
    prefix = f'{DataValidationError.__module__}.{DataValidationError.__name__}: '
    return last_line[len(prefix):] if last_line.startswith(prefix) else last_line


def run_safely(job: Callable[[], Any]) -> Any:
    """Run ``job``, report bad data in one line and tear down distribution.

    A :class:`DataValidationError` (a dataset file that is not as
    distributed) is printed alone, without a traceback, and the process exits
    with status 2; the process group is destroyed in every case.
    """
    try:
        return job()
    except DataValidationError as error:
        print(f'Data error: {data_error_message(error)}', file=sys.stderr)
        sys.exit(2)
    finally:
        finalize_distributed()
