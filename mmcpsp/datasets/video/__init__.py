from .ave_video_dataset import AVEVideoDataset

__all__ = ['AVEVideoDataset']
