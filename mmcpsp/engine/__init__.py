from .atomic_local_backend import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend
from .hooks import (
    AVELVisualizationHook,
    EpochSeedHook,
    NonFiniteLossHook,
    SafeCheckpointHook,
)

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'AVELVisualizationHook',
    'EpochSeedHook', 'NonFiniteLossHook', 'SafeCheckpointHook'
]
