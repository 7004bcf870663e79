from .formatting import PackAVELInputs
from .loading import LoadAVEFeatures
from .vggsound_loading import LoadVGGSoundAVELFeatures

__all__ = ['LoadAVEFeatures', 'LoadVGGSoundAVELFeatures', 'PackAVELInputs']
