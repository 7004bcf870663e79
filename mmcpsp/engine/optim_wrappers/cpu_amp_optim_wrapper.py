import contextlib
from typing import Iterator, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmcpsp.models.utils.precision import (
    DEFAULT_FLOAT32_REGIONS,
    float32_regions,
)
from mmcpsp.registry import OPTIM_WRAPPERS


class MixedPrecisionUnavailable(RuntimeError):
    """The CPU cannot run bfloat16 mixed precision."""


def cpu_supports_bfloat16() -> bool:
    """Whether this CPU runs bfloat16 kernels natively (AVX512-BF16 or AMX,
    as oneDNN reports it)."""
    return bool(torch.backends.mkldnn.is_available()
                and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def check_bfloat16_cpu() -> None:
    """Stop with one line when this CPU cannot run bfloat16 mixed precision.

    Raises:
        MixedPrecisionUnavailable: If it lacks bfloat16 kernels.
    """
    if not cpu_supports_bfloat16():
        raise MixedPrecisionUnavailable(
            'mixed precision on this CPU needs bfloat16 kernels '
            '(AVX512-BF16 or AMX), which it lacks; run in float32, '
            'without --amp.')


@contextlib.contextmanager
def inference_autocast(device: torch.device,
                       enabled: bool = True) -> Iterator[None]:
    """Mixed precision for inference on ``device``: bfloat16 autocast on a
    CPU (checked), MMEngine's autocast on a GPU (bfloat16 where supported,
    else float16); nothing when ``enabled`` is False."""
    if not enabled:
        yield
        return
    device = torch.device(device)
    if device.type == 'cpu':
        check_bfloat16_cpu()
        dtype = torch.bfloat16
    else:
        dtype = (torch.bfloat16 if torch.cuda.is_bf16_supported() else
                 torch.float16)
    with torch.autocast(device.type, dtype=dtype):
        yield


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Mixed-precision training on a CPU, in bfloat16.

    MMEngine's ``AmpOptimWrapper`` refuses CPUs. Here the forward pass and
    the loss run under ``torch.autocast('cpu', dtype=torch.bfloat16)``
    (``optim_context``); the parameters, their gradients, the optimizer
    state and the checkpoints stay in the model's precision (float32
    master weights). bfloat16 has float32's exponent range, so no loss
    scaling is needed. The parts of the models listed in
    ``float32_regions`` run in float32 (:mod:`mmcpsp.models.utils.precision`).

    ``tools/train.py --amp`` selects it on a CPU with bfloat16 support; a
    config selects it with ``optim_wrapper = dict(type='CPUAmpOptimWrapper',
    optimizer=...)``.

    Args:
        dtype (str): The low precision. Only ``'bfloat16'`` is supported on
            CPUs. Defaults to ``'bfloat16'``.
        float32_regions (Sequence[str], optional): Parts of the models kept
            in float32. Defaults to None, meaning the measured default
            (:data:`~mmcpsp.models.utils.precision.DEFAULT_FLOAT32_REGIONS`).
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`
            (``optimizer``, ``clip_grad``, ``accumulative_counts``).

    Raises:
        MixedPrecisionUnavailable: If the CPU lacks bfloat16 kernels.
    """

    def __init__(self,
                 dtype: str = 'bfloat16',
                 float32_regions: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        if dtype != 'bfloat16':
            raise ValueError('CPUAmpOptimWrapper runs in bfloat16 (CPU '
                             f'autocast has no {dtype}).')
        check_bfloat16_cpu()
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16
        self.float32_regions = frozenset(
            DEFAULT_FLOAT32_REGIONS
            if float32_regions is None else float32_regions)

    @contextlib.contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """The forward pass and the loss under bfloat16 autocast."""
        with super().optim_context(model), \
                torch.autocast('cpu', dtype=self.cast_dtype), \
                float32_regions(self.float32_regions):
            yield
