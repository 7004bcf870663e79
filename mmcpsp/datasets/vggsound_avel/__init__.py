from .vggsound_avel_dataset import VGGSoundAVELDataset

__all__ = ['VGGSoundAVELDataset']
