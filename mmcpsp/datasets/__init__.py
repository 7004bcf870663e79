from .ave import AVEDataset
from .collate import avel_collate
from .errors import DataValidationError
from .transforms import *  # noqa: F401,F403
from .vggsound_avel import VGGSoundAVELDataset

__all__ = [
    'AVEDataset', 'DataValidationError', 'VGGSoundAVELDataset',
    'avel_collate'
]
