from .avel_data_preprocessor import AVELDataPreprocessor

__all__ = ['AVELDataPreprocessor']
