from .cpu_amp_optim_wrapper import (
    CPUAmpOptimWrapper,
    MixedPrecisionUnavailable,
    check_bfloat16_cpu,
    cpu_supports_bfloat16,
    inference_autocast,
)

__all__ = [
    'CPUAmpOptimWrapper', 'MixedPrecisionUnavailable',
    'check_bfloat16_cpu', 'cpu_supports_bfloat16', 'inference_autocast'
]
