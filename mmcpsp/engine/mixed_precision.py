"""Which optimizer wrapper runs mixed-precision training here: one decision.

A GPU (CUDA, NPU, MLU or MUSA) gets MMEngine's ``AmpOptimWrapper``; a CPU
with bfloat16 kernels gets :class:`~mmcpsp.engine.CPUAmpOptimWrapper`; any
other machine gets one line saying that it has neither.
``tools/train.py --amp`` asks :func:`enable_mixed_precision`, and a config
that names a mixed-precision wrapper itself is checked by
:func:`check_mixed_precision` before anything is built, so that MMEngine's
assertion (``AmpOptimWrapper`` on a machine without a GPU) is never reached.
"""
from typing import Any, Optional

from mmengine.config import Config
from mmengine.device import get_device

from .optim_wrappers import (
    MixedPrecisionUnavailable,
    check_bfloat16_cpu,
    cpu_supports_bfloat16,
)

#: The devices MMEngine's ``AmpOptimWrapper`` accepts (it asserts one).
GPU_DEVICES = ('cuda', 'npu', 'mlu', 'musa')
GPU_AMP = 'AmpOptimWrapper'
CPU_AMP = 'CPUAmpOptimWrapper'
#: The wrappers ``--amp`` may replace by this machine's choice.
REPLACEABLE = ('OptimWrapper', GPU_AMP, CPU_AMP)
#: Arguments that only one of the two mixed-precision wrappers takes.
_ONLY_FOR = {
    GPU_AMP: ('loss_scale', 'use_fsdp'),
    CPU_AMP: ('float32_regions', ),
}

NO_MIXED_PRECISION = (
    'mixed precision needs a GPU (CUDA, NPU, MLU or MUSA) or a CPU with '
    'bfloat16 kernels (AVX512-BF16 or AMX), and this machine has neither; '
    "train in float32 (without --amp, optim_wrapper.type='OptimWrapper').")
GPU_AMP_ON_BF16_CPU = (
    "optim_wrapper.type='AmpOptimWrapper' (MMEngine's) needs a GPU (CUDA, "
    'NPU, MLU or MUSA) and none is available here; this CPU has bfloat16 '
    "kernels: train with --amp, or set optim_wrapper.type="
    "'CPUAmpOptimWrapper'.")


def gpu_available() -> bool:
    """Whether MMEngine finds a device its ``AmpOptimWrapper`` runs on."""
    return get_device() in GPU_DEVICES


def mixed_precision_wrapper() -> str:
    """The optimizer wrapper that runs mixed precision on this machine.

    Returns:
        str: ``'AmpOptimWrapper'`` on a GPU, ``'CPUAmpOptimWrapper'`` on a
        CPU with bfloat16 kernels.

    Raises:
        MixedPrecisionUnavailable: If the machine has neither.
    """
    if gpu_available():
        return GPU_AMP
    if cpu_supports_bfloat16():
        return CPU_AMP
    raise MixedPrecisionUnavailable(NO_MIXED_PRECISION)


def gpu_autocast_dtype() -> str:
    """bfloat16 where the GPU has it (no loss scaling needed), else
    float16."""
    import torch
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return 'bfloat16'
    return 'float16'


def enable_mixed_precision_inference(cfg: Config) -> str:
    """``tools/test.py --amp``: the test loop runs under autocast.

    MMEngine's ``TestLoop`` (``test_cfg.fp16=True``) enters
    ``mmengine.runner.amp.autocast``: bfloat16 on a CPU, the GPU's autocast
    dtype on a GPU; the float32 regions of
    :mod:`mmcpsp.models.utils.precision` stay in float32 as in training.

    Args:
        cfg (Config): The test config, changed in place.

    Returns:
        str: ``'cpu'`` or the GPU device type.

    Raises:
        MixedPrecisionUnavailable: If the machine has neither a GPU nor a
            CPU with bfloat16 kernels.
    """
    wrapper = mixed_precision_wrapper()
    test_cfg = cfg.get('test_cfg') or dict(type='TestLoop')
    test_cfg['fp16'] = True
    cfg.test_cfg = test_cfg
    return get_device() if wrapper == GPU_AMP else 'cpu'


def _wrapper_name(optim_wrapper: Optional[dict]) -> str:
    """The class name of a config's wrapper (a type, or a scoped name)."""
    wrapper_type: Any = (optim_wrapper or {}).get('type', 'OptimWrapper')
    name = getattr(wrapper_type, '__name__', wrapper_type)
    return str(name).rpartition('.')[2]


def enable_mixed_precision(cfg: Config) -> str:
    """``--amp``: set this machine's mixed-precision wrapper in ``cfg``.

    The optimizer and the other settings of ``cfg.optim_wrapper`` are kept;
    on a GPU the loss is scaled dynamically unless the config says
    otherwise, and the arguments only the other wrapper takes are dropped.

    Args:
        cfg (Config): The training config, changed in place.

    Returns:
        str: The wrapper chosen.

    Raises:
        MixedPrecisionUnavailable: If the machine has neither a GPU nor a
            CPU with bfloat16 kernels.
        ValueError: If the config's wrapper is not one ``--amp`` replaces.
    """
    current = _wrapper_name(cfg.get('optim_wrapper'))
    if current not in REPLACEABLE:
        raise ValueError(
            f'--amp does not support the optimizer wrapper {current}')
    chosen = mixed_precision_wrapper()
    optim_wrapper = cfg.optim_wrapper
    optim_wrapper.type = chosen
    other = CPU_AMP if chosen == GPU_AMP else GPU_AMP
    for key in _ONLY_FOR[other]:
        optim_wrapper.pop(key, None)
    if chosen == GPU_AMP:
        if optim_wrapper.get('dtype') is None:
            optim_wrapper.dtype = gpu_autocast_dtype()
        if optim_wrapper.dtype != 'bfloat16':
            # float16 underflows small gradients: scale the loss.
            optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif optim_wrapper.get('dtype') not in (None, 'bfloat16'):
        # A GPU setting (float16): a CPU runs bfloat16 only.
        optim_wrapper.pop('dtype')
    return chosen


def check_mixed_precision(cfg: Config) -> None:
    """Stop with one line if the config's wrapper cannot run here.

    Args:
        cfg (Config): The training config.

    Raises:
        MixedPrecisionUnavailable: ``AmpOptimWrapper`` without a GPU (the
            line of ``--amp`` where the CPU has no bfloat16 kernels either,
            else a pointer to ``--amp`` and ``CPUAmpOptimWrapper``), or
            ``CPUAmpOptimWrapper`` on a CPU without bfloat16 kernels.
    """
    name = _wrapper_name(cfg.get('optim_wrapper'))
    if name == GPU_AMP and not gpu_available():
        raise MixedPrecisionUnavailable(
            GPU_AMP_ON_BF16_CPU if cpu_supports_bfloat16() else
            NO_MIXED_PRECISION)
    if name == CPU_AMP:
        check_bfloat16_cpu()
