from .ave_dataset import AVEDataset
from .collate import avel_collate
from .errors import DataValidationError
from .transforms import *  # noqa: F401,F403

__all__ = ['AVEDataset', 'DataValidationError', 'avel_collate']
