from .audio_guided_visual_attention import AudioGuidedVisualAttention
from .av_guided_encoder import AVGAEncoder

__all__ = ['AudioGuidedVisualAttention', 'AVGAEncoder']
