from .avel_data_preprocessor import AVELDataPreprocessor
from .avel_video_data_preprocessor import AVELVideoDataPreprocessor

__all__ = ['AVELDataPreprocessor', 'AVELVideoDataPreprocessor']
