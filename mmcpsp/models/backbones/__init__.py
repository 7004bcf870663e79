from .audio_guided_visual_attention import AudioGuidedVisualAttention
from .av_guided_encoder import AVGAEncoder
from .frame_avga_encoder import FrameAVGAEncoder

__all__ = ['AudioGuidedVisualAttention', 'AVGAEncoder', 'FrameAVGAEncoder']
