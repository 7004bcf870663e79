"""Synthetic datasets for tests, tools and the demo (never real data)."""
from .synthetic_ave import generate_synthetic_ave
from .synthetic_vggsound_avel import (
    SyntheticVGGSoundAVEL,
    generate_synthetic_vggsound_avel,
)

__all__ = [
    'SyntheticVGGSoundAVEL', 'generate_synthetic_ave',
    'generate_synthetic_vggsound_avel'
]
