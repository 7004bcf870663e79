from .annotations import AVE_CATEGORIES, AVEAnnotations, parse_annotations
from .ave_dataset import AVEDataset

__all__ = ['AVEDataset', 'AVEAnnotations', 'AVE_CATEGORIES', 'parse_annotations']
