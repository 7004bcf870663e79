from .ave_video_dataset import AVEVideoDataset
from .vggsound_avel_video_dataset import VGGSoundAVELVideoDataset

__all__ = ['AVEVideoDataset', 'VGGSoundAVELVideoDataset']
