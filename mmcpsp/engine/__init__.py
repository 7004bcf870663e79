from .hooks import EpochSeedHook, SafeCheckpointHook

__all__ = ['EpochSeedHook', 'SafeCheckpointHook']
