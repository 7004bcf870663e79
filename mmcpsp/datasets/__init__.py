from .ave import AVEDataset
from .collate import avel_collate
from .errors import DataValidationError
from .llp import LLPDataset
from .npy import NpyFeatureDataset
from .transforms import *  # noqa: F401,F403
from .vggsound_avel import VGGSoundAVELDataset
from .video import AVEVideoDataset, VGGSoundAVELVideoDataset

__all__ = [
    'AVEDataset', 'AVEVideoDataset', 'DataValidationError', 'LLPDataset',
    'NpyFeatureDataset', 'VGGSoundAVELDataset', 'VGGSoundAVELVideoDataset',
    'avel_collate'
]
