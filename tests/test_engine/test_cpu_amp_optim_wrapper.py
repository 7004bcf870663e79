import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmcpsp.engine.optim_wrappers import (
    CPUAmpOptimWrapper,
    MixedPrecisionUnavailable,
    cpu_amp_optim_wrapper,
    cpu_supports_bfloat16,
)

needs_bfloat16 = pytest.mark.skipif(
    not cpu_supports_bfloat16(), reason='this CPU has no bfloat16 kernels')


def build(model, **kwargs):
    init_default_scope('mmcpsp')
    return build_optim_wrapper(
        model, dict(type='CPUAmpOptimWrapper',
                    optimizer=dict(type='Adam', lr=1e-2), **kwargs))


@needs_bfloat16
def test_trains_in_bfloat16_with_float32_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    wrapper = build(model)
    assert isinstance(wrapper, CPUAmpOptimWrapper)
    inputs = torch.randn(16, 8)
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        outputs = model(inputs)
        assert outputs.dtype == torch.bfloat16
        loss = outputs.float().pow(2).mean()
    wrapper.update_params(loss)
    assert not torch.equal(before, model[0].weight)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    state = wrapper.state_dict()
    assert all(value.dtype == torch.float32
               for group in state['state'].values()
               for value in group.values() if value.is_floating_point())
    # Outside the context nothing is cast.
    assert model(inputs).dtype == torch.float32


def test_regions_and_dtype_are_checked(monkeypatch):
    model = nn.Linear(2, 2)
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bfloat16',
                        lambda: True)
    with pytest.raises(ValueError, match='bfloat16'):
        build(model, dtype='float16')
    assert build(model, float32_regions=()).float32_regions == frozenset()
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bfloat16',
                        lambda: False)
    with pytest.raises(MixedPrecisionUnavailable, match='lacks'):
        build(model)


@needs_bfloat16
def test_inference_in_bfloat16_keeps_labels_close():
    import warnings

    import numpy as np

    from mmcpsp.apis import inference_localizer, init_localizer
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random weights, generic names
        model = init_localizer('configs/cpsp_fully_ave.py')
    rng = np.random.default_rng(0)
    features = (rng.random((23, 128), np.float32),
                rng.random((23, 7, 7, 512), np.float32))
    full = inference_localizer(model, features)
    mixed = inference_localizer(model, features, amp=True)
    assert mixed.num_segments == 23
    np.testing.assert_allclose(mixed.event_scores, full.event_scores,
                               atol=0.02)


def test_inference_autocast_refuses_a_cpu_without_bfloat16(monkeypatch):
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bfloat16',
                        lambda: False)
    with pytest.raises(MixedPrecisionUnavailable, match='lacks'):
        with cpu_amp_optim_wrapper.inference_autocast(torch.device('cpu')):
            pass
    with cpu_amp_optim_wrapper.inference_autocast(torch.device('cpu'),
                                                  enabled=False):
        pass
