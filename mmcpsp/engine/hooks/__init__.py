from .avel_visualization_hook import AVELVisualizationHook
from .epoch_seed_hook import EpochSeedHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .process_memory_hook import ProcessMemoryHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = [
    'AVELVisualizationHook', 'EpochSeedHook', 'NonFiniteLossError',
    'NonFiniteLossHook', 'ProcessMemoryHook', 'SafeCheckpointHook'
]
