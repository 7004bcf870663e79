from .feature_extractor import (
    AVFeatureExtractor,
    DecodedInputs,
    decode_inputs,
)
from .inference import inference_localizer, init_localizer
from .inference_inputs import FeatureInputs, load_feature_inputs
from .llp_feature_extractor import (
    LLPDecodedInputs,
    LLPFeatureExtractor,
    decode_llp_inputs,
)
from .sliding_window import predict_sliding_windows, window_starts

__all__ = [
    'AVFeatureExtractor', 'DecodedInputs', 'FeatureInputs',
    'LLPDecodedInputs', 'LLPFeatureExtractor', 'decode_inputs',
    'decode_llp_inputs', 'inference_localizer',
    'init_localizer', 'load_feature_inputs', 'predict_sliding_windows',
    'window_starts'
]
