from .feature_extractor import (
    AVFeatureExtractor,
    DecodedInputs,
    decode_inputs,
)
from .file_inference import (
    InputFileError,
    localize_inputs,
    read_file_inputs,
    write_result_files,
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
    'InputFileError', 'LLPDecodedInputs', 'LLPFeatureExtractor',
    'decode_inputs', 'decode_llp_inputs', 'inference_localizer',
    'init_localizer', 'load_feature_inputs', 'localize_inputs',
    'predict_sliding_windows', 'read_file_inputs', 'window_starts',
    'write_result_files'
]
