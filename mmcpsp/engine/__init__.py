from .atomic_local_backend import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend
from .hooks import (
    AVELVisualizationHook,
    EpochSeedHook,
    NonFiniteLossHook,
    SafeCheckpointHook,
)
from .mixed_precision import (
    check_mixed_precision,
    enable_mixed_precision,
    enable_mixed_precision_inference,
    mixed_precision_wrapper,
)
from .optim_wrappers import CPUAmpOptimWrapper, cpu_supports_bfloat16
from .runner_utils import (
    build_runner,
    enable_visualization,
    prepare_training,
    run_safely,
)

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'AVELVisualizationHook',
    'EpochSeedHook', 'NonFiniteLossHook', 'SafeCheckpointHook',
    'build_runner', 'enable_visualization', 'prepare_training', 'run_safely',
    'CPUAmpOptimWrapper', 'cpu_supports_bfloat16', 'check_mixed_precision',
    'enable_mixed_precision', 'enable_mixed_precision_inference',
    'mixed_precision_wrapper'
]
