"""Parts of the models kept in float32 under mixed precision.

Under ``torch.autocast`` (``--amp``: bfloat16 on CPUs, bfloat16 or float16
on GPUs) matrix products run in the low precision. A few parts of the PSP
family decide by thresholds or exponentiate, where the low precision's
8-bit mantissa changes results; they run in float32 instead. Which parts,
and the measured effect of each, is in docs/benchmark.md ("Mixed
precision"); ``tools/analysis_tools/benchmark_amp.py`` measures them.

Outside autocast nothing changes: the regions pass float32 and float64
tensors through untouched, so the published float64 maths stays exact.
"""
import contextlib
import contextvars
import functools
from typing import Any, Callable, FrozenSet, Iterable, Iterator

import torch

#: The named regions, each a part of the models that may run in float32.
#: ``psp_propagation``: the PSP affinity, its row normalisation and the
#: pruning at the threshold (0.099 on row-normalised weights);
#: ``losses``: every loss term (contrastive terms exponentiate
#: similarities over a temperature).
REGIONS = ('psp_propagation', 'losses')
#: The regions kept in float32 by default, decided by measurement.
DEFAULT_FLOAT32_REGIONS: FrozenSet[str] = frozenset(REGIONS)

_float32_regions: contextvars.ContextVar = contextvars.ContextVar(
    'float32_regions', default=DEFAULT_FLOAT32_REGIONS)
_LOW_PRECISION = (torch.bfloat16, torch.float16)


def _autocast_device(tensors: Iterable[Any]) -> str:
    """The device type of the first tensor whose autocast is on, or ''."""
    for value in tensors:
        if isinstance(value, torch.Tensor):
            device_type = value.device.type
            if torch.is_autocast_enabled(device_type):
                return device_type
    return ''


@contextlib.contextmanager
def float32_regions(regions: Iterable[str]) -> Iterator[None]:
    """Keep these regions (of :data:`REGIONS`) in float32 inside the block.

    Used by the mixed-precision optimizer wrappers (their
    ``float32_regions`` argument) and by the measurement tool.
    """
    regions = frozenset(regions)
    unknown = regions - set(REGIONS)
    if unknown:
        raise ValueError(f'Unknown float32 regions {sorted(unknown)}; '
                         f'known: {REGIONS}.')
    token = _float32_regions.set(regions)
    try:
        yield
    finally:
        _float32_regions.reset(token)


def _upcast(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.dtype in _LOW_PRECISION:
        return value.float()
    return value


def float32_region(name: str) -> Callable:
    """Run the decorated function in float32 when autocast is on and the
    region ``name`` is kept in float32; a no-op otherwise.

    Low-precision tensor arguments are cast to float32 and autocast is
    switched off inside the function.
    """
    if name not in REGIONS:
        raise ValueError(f'Unknown float32 region {name!r}.')

    def decorate(function: Callable) -> Callable:

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            values = list(args) + list(kwargs.values())
            device_type = _autocast_device(values)
            if not device_type or name not in _float32_regions.get():
                return function(*args, **kwargs)
            with torch.autocast(device_type, enabled=False):
                return function(
                    *map(_upcast, args),
                    **{key: _upcast(value)
                       for key, value in kwargs.items()})

        return wrapper

    return decorate
