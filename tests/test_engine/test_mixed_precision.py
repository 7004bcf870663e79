"""The one decision of mixed-precision training: GPU, bfloat16 CPU, or a line.
"""
import pytest
from mmengine.config import Config

from mmcpsp.engine import mixed_precision
from mmcpsp.engine.mixed_precision import (
    GPU_AMP_ON_BF16_CPU,
    NO_MIXED_PRECISION,
    check_mixed_precision,
    enable_mixed_precision,
    mixed_precision_wrapper,
)
from mmcpsp.engine.optim_wrappers import (
    MixedPrecisionUnavailable,
    cpu_amp_optim_wrapper,
)


@pytest.fixture
def machine(monkeypatch):
    """Set what the machine has: ``machine(gpu=..., bfloat16=...)``."""

    def set_machine(gpu: bool, bfloat16: bool) -> None:
        monkeypatch.setattr(mixed_precision, 'gpu_available', lambda: gpu)
        for module in (mixed_precision, cpu_amp_optim_wrapper):
            monkeypatch.setattr(module, 'cpu_supports_bfloat16',
                                lambda: bfloat16)

    return set_machine


def config(**optim_wrapper) -> Config:
    return Config(
        dict(optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3),
                                **optim_wrapper)))


@pytest.mark.parametrize('gpu, bfloat16, chosen', [
    (True, False, 'AmpOptimWrapper'),
    (True, True, 'AmpOptimWrapper'),
    (False, True, 'CPUAmpOptimWrapper'),
])
def test_the_machine_decides(machine, gpu, bfloat16, chosen):
    machine(gpu=gpu, bfloat16=bfloat16)
    assert mixed_precision_wrapper() == chosen


def test_neither_gpu_nor_bfloat16_is_one_line(machine):
    machine(gpu=False, bfloat16=False)
    with pytest.raises(MixedPrecisionUnavailable) as error:
        mixed_precision_wrapper()
    assert str(error.value) == NO_MIXED_PRECISION
    assert '\n' not in NO_MIXED_PRECISION


def test_amp_on_a_float16_gpu_scales_the_loss(machine, monkeypatch):
    machine(gpu=True, bfloat16=False)
    monkeypatch.setattr(mixed_precision, 'gpu_autocast_dtype',
                        lambda: 'float16')
    cfg = config(type='CPUAmpOptimWrapper', float32_regions=['psp'])
    assert enable_mixed_precision(cfg) == 'AmpOptimWrapper'
    assert cfg.optim_wrapper == dict(
        type='AmpOptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
        dtype='float16', loss_scale='dynamic')
    kept = config(loss_scale=512.0)
    enable_mixed_precision(kept)
    assert kept.optim_wrapper.loss_scale == 512.0


def test_amp_on_a_bfloat16_gpu_needs_no_loss_scale(machine, monkeypatch):
    machine(gpu=True, bfloat16=False)
    monkeypatch.setattr(mixed_precision, 'gpu_autocast_dtype',
                        lambda: 'bfloat16')
    cfg = config()
    enable_mixed_precision(cfg)
    assert cfg.optim_wrapper == dict(
        type='AmpOptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
        dtype='bfloat16')
    chosen = config(dtype='float16')  # a config's own choice is kept
    enable_mixed_precision(chosen)
    assert chosen.optim_wrapper.dtype == 'float16'
    assert chosen.optim_wrapper.loss_scale == 'dynamic'


@pytest.mark.parametrize('gpu, bfloat16', [(True, False), (False, True)])
def test_amp_testing_autocasts_the_test_loop(machine, gpu, bfloat16):
    from mmcpsp.engine import enable_mixed_precision_inference
    machine(gpu=gpu, bfloat16=bfloat16)
    cfg = Config(dict(test_cfg=dict(type='TestLoop')))
    enable_mixed_precision_inference(cfg)
    assert cfg.test_cfg == dict(type='TestLoop', fp16=True)
    machine(gpu=False, bfloat16=False)
    with pytest.raises(MixedPrecisionUnavailable, match='neither'):
        enable_mixed_precision_inference(Config(dict()))


def test_amp_on_a_bfloat16_cpu_takes_the_cpu_wrapper(machine):
    machine(gpu=False, bfloat16=True)
    cfg = config(type='AmpOptimWrapper', loss_scale='dynamic',
                 dtype='float16', clip_grad=dict(max_norm=1.0))
    assert enable_mixed_precision(cfg) == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper == dict(
        type='CPUAmpOptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
        clip_grad=dict(max_norm=1.0))
    check_mixed_precision(cfg)  # what --amp chose passes the check


def test_amp_refuses_other_wrappers(machine):
    machine(gpu=True, bfloat16=True)
    with pytest.raises(ValueError, match='ApexOptimWrapper'):
        enable_mixed_precision(config(type='ApexOptimWrapper'))


@pytest.mark.parametrize('wrapper_type', [
    'AmpOptimWrapper', 'mmengine.AmpOptimWrapper'])
def test_config_amp_without_gpu_or_bfloat16_is_the_amp_line(
        machine, wrapper_type):
    machine(gpu=False, bfloat16=False)
    with pytest.raises(MixedPrecisionUnavailable) as error:
        check_mixed_precision(config(type=wrapper_type))
    assert str(error.value) == NO_MIXED_PRECISION


def test_config_amp_on_a_bfloat16_cpu_points_at_the_cpu_wrapper(machine):
    machine(gpu=False, bfloat16=True)
    with pytest.raises(MixedPrecisionUnavailable) as error:
        check_mixed_precision(config(type='AmpOptimWrapper'))
    assert str(error.value) == GPU_AMP_ON_BF16_CPU
    assert "optim_wrapper.type='CPUAmpOptimWrapper'" in GPU_AMP_ON_BF16_CPU


def test_config_cpu_wrapper_without_bfloat16(machine):
    machine(gpu=False, bfloat16=False)
    with pytest.raises(MixedPrecisionUnavailable, match='bfloat16 kernels'):
        check_mixed_precision(config(type='CPUAmpOptimWrapper'))


def test_float32_and_gpu_configs_pass(machine):
    machine(gpu=False, bfloat16=False)
    check_mixed_precision(config())
    check_mixed_precision(Config(dict()))
    machine(gpu=True, bfloat16=False)
    check_mixed_precision(config(type='AmpOptimWrapper'))
