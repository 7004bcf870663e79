from .ave_dataset import AVEDataset
from .errors import DataValidationError
from .transforms import *  # noqa: F401,F403

__all__ = ['AVEDataset', 'DataValidationError']
