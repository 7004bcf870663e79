from .feature_extractor import (
    AVFeatureExtractor,
    DecodedInputs,
    decode_inputs,
)
from .inference import inference_localizer, init_localizer
from .inference_inputs import FeatureInputs, load_feature_inputs
from .sliding_window import predict_sliding_windows, window_starts

__all__ = [
    'AVFeatureExtractor', 'DecodedInputs', 'FeatureInputs',
    'decode_inputs', 'inference_localizer',
    'init_localizer', 'load_feature_inputs', 'predict_sliding_windows',
    'window_starts'
]
