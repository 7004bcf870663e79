from .atomic_local_backend import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend
from .hooks import EpochSeedHook, NonFiniteLossHook, SafeCheckpointHook

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'EpochSeedHook',
    'NonFiniteLossHook', 'SafeCheckpointHook'
]
