from .formatting import PackAVELInputs
from .loading import LoadAVEFeatures

__all__ = ['LoadAVEFeatures', 'PackAVELInputs']
