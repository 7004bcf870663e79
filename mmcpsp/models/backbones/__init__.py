from .audio_guided_visual_attention import AudioGuidedVisualAttention
from .av_guided_encoder import AVGAEncoder
from .avvp_input_stage import AVVPInputStage
from .frame_avga_encoder import FrameAVGAEncoder
from .r2plus1d18 import Conv2plus1dMid, R2Plus1D18
from .resnet_pooled import ResNetPooled
from .vgg19_pool5 import VGG19Pool5
from .vggish import VGGish

__all__ = [
    'AudioGuidedVisualAttention', 'AVGAEncoder', 'AVVPInputStage',
    'Conv2plus1dMid', 'FrameAVGAEncoder', 'R2Plus1D18', 'ResNetPooled',
    'VGG19Pool5', 'VGGish'
]
