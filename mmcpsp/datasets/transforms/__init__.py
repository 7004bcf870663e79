from .audio import VGGishLogMel
from .formatting import PackAVELInputs
from .loading import LoadAVEFeatures
from .vggsound_loading import LoadVGGSoundAVELFeatures
from .video import DecodeAVSegments, StackSegmentFrames

__all__ = [
    'DecodeAVSegments', 'LoadAVEFeatures', 'LoadVGGSoundAVELFeatures',
    'PackAVELInputs', 'StackSegmentFrames', 'VGGishLogMel'
]
