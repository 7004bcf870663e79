from .hooks import AVELVisualizationHook, EpochSeedHook, SafeCheckpointHook

__all__ = ['AVELVisualizationHook', 'EpochSeedHook', 'SafeCheckpointHook']
