"""Synthetic datasets and videos for tests, tools and the demo (never real
data)."""
from .ave_videos import SPLIT_FILES, write_ave_videos
from .synthetic_ave import generate_synthetic_ave
from .synthetic_llp import generate_synthetic_llp
from .synthetic_vggsound_avel import (
    SyntheticVGGSoundAVEL,
    generate_synthetic_vggsound_avel,
)
from .videos import (
    ENCODINGS,
    random_image,
    solid_image,
    tone,
    write_test_video,
)

__all__ = [
    'ENCODINGS', 'SPLIT_FILES', 'SyntheticVGGSoundAVEL',
    'generate_synthetic_ave', 'generate_synthetic_llp',
    'generate_synthetic_vggsound_avel',
    'random_image', 'solid_image', 'tone', 'write_ave_videos',
    'write_test_video'
]
