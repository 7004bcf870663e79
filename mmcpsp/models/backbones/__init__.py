from .audio_guided_visual_attention import AudioGuidedVisualAttention
from .av_guided_encoder import AVGAEncoder
from .avvp_input_stage import AVVPInputStage
from .frame_avga_encoder import FrameAVGAEncoder
from .vgg19_pool5 import VGG19Pool5
from .vggish import VGGish

__all__ = [
    'AudioGuidedVisualAttention', 'AVGAEncoder', 'AVVPInputStage',
    'FrameAVGAEncoder', 'VGG19Pool5', 'VGGish'
]
