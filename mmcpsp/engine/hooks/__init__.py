from .avel_visualization_hook import AVELVisualizationHook
from .epoch_seed_hook import EpochSeedHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = [
    'AVELVisualizationHook', 'EpochSeedHook', 'NonFiniteLossError',
    'NonFiniteLossHook', 'SafeCheckpointHook'
]
