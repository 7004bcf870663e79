from .ave import AVEDataset
from .collate import avel_collate
from .errors import DataValidationError
from .transforms import *  # noqa: F401,F403
from .vggsound_avel import VGGSoundAVELDataset
from .video import AVEVideoDataset

__all__ = [
    'AVEDataset', 'AVEVideoDataset', 'DataValidationError',
    'VGGSoundAVELDataset', 'avel_collate'
]
