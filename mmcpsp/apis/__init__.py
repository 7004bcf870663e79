from .feature_extractor import (
    AVFeatureExtractor,
    DecodedInputs,
    decode_inputs,
)
from .runner_utils import build_runner, run_safely

__all__ = [
    'AVFeatureExtractor', 'DecodedInputs', 'build_runner', 'decode_inputs',
    'run_safely'
]
