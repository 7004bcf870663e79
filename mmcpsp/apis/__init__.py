from .feature_extractor import (
    AVFeatureExtractor,
    DecodedInputs,
    decode_inputs,
)
from .inference import inference_localizer, init_localizer
from .inference_inputs import FeatureInputs, load_feature_inputs
from .runner_utils import build_runner, enable_visualization, run_safely
from .sliding_window import predict_sliding_windows, window_starts

__all__ = [
    'AVFeatureExtractor', 'DecodedInputs', 'FeatureInputs', 'build_runner',
    'decode_inputs', 'enable_visualization', 'inference_localizer',
    'init_localizer', 'load_feature_inputs', 'predict_sliding_windows',
    'run_safely', 'window_starts'
]
