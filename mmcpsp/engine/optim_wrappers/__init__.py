from .cpu_amp_optim_wrapper import (
    CPUAmpOptimWrapper,
    MixedPrecisionUnavailable,
    cpu_supports_bfloat16,
)

__all__ = [
    'CPUAmpOptimWrapper', 'MixedPrecisionUnavailable',
    'cpu_supports_bfloat16'
]
