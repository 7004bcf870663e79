from .ave import AVEDataset
from .collate import avel_collate
from .errors import DataValidationError
from .npy import NpyFeatureDataset
from .transforms import *  # noqa: F401,F403
from .vggsound_avel import VGGSoundAVELDataset
from .video import AVEVideoDataset, VGGSoundAVELVideoDataset

__all__ = [
    'AVEDataset', 'AVEVideoDataset', 'DataValidationError',
    'NpyFeatureDataset', 'VGGSoundAVELDataset', 'VGGSoundAVELVideoDataset',
    'avel_collate'
]
