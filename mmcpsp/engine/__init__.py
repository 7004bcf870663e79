from .atomic_local_backend import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend
from .hooks import (
    AVELVisualizationHook,
    EpochSeedHook,
    NonFiniteLossHook,
    SafeCheckpointHook,
)
from .optim_wrappers import CPUAmpOptimWrapper, cpu_supports_bfloat16
from .runner_utils import build_runner, enable_visualization, run_safely

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'AVELVisualizationHook',
    'EpochSeedHook', 'NonFiniteLossHook', 'SafeCheckpointHook',
    'build_runner', 'enable_visualization', 'run_safely',
    'CPUAmpOptimWrapper', 'cpu_supports_bfloat16'
]
