from .runner_utils import build_runner, run_safely

__all__ = ['build_runner', 'run_safely']
