from .feature_extractor import AVFeatureExtractor, DecodedInputs
from .runner_utils import build_runner, run_safely

__all__ = [
    'AVFeatureExtractor', 'DecodedInputs', 'build_runner', 'run_safely'
]
