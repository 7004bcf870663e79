from .audio import VGGishLogMel
from .formatting import PackAVELInputs
from .llp_loading import LoadLLPFeatures
from .loading import LoadAVEFeatures
from .npy_loading import LoadNpyFeatures
from .vggsound_labels import LoadVGGSoundAVELLabels
from .vggsound_loading import LoadVGGSoundAVELFeatures
from .video import DecodeAVSegments, StackSegmentFrames

__all__ = [
    'DecodeAVSegments', 'LoadAVEFeatures', 'LoadLLPFeatures',
    'LoadNpyFeatures', 'LoadVGGSoundAVELFeatures', 'LoadVGGSoundAVELLabels',
    'PackAVELInputs', 'StackSegmentFrames', 'VGGishLogMel'
]
