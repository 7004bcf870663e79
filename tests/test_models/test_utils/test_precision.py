import pytest
import torch

from mmcpsp.models.utils.precision import (
    DEFAULT_FLOAT32_REGIONS,
    REGIONS,
    float32_region,
    float32_regions,
)


@float32_region('losses')
def dtype_inside(tensor, scale=None):
    return tensor.dtype, (tensor @ tensor.t()).dtype, (
        None if scale is None else scale.dtype)


def test_no_op_outside_autocast():
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        tensor = torch.ones(2, 2, dtype=dtype)
        assert dtype_inside(tensor) == (dtype, dtype, None)


def test_upcasts_and_disables_autocast_inside():
    tensor = torch.ones(2, 2)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        low = tensor @ tensor
        assert low.dtype == torch.bfloat16
        assert dtype_inside(low, scale=low) == (torch.float32,) * 3
        with float32_regions(set(REGIONS) - {'losses'}):
            assert dtype_inside(low) == (torch.bfloat16,) * 2 + (None, )
    assert DEFAULT_FLOAT32_REGIONS == frozenset(REGIONS)


def test_unknown_regions_are_refused():
    with pytest.raises(ValueError, match='Unknown float32 regions'):
        with float32_regions(['lstm']):
            pass
    with pytest.raises(ValueError, match='Unknown float32 region'):
        float32_region('lstm')


def test_psp_propagation_runs_in_float32_under_autocast():
    from mmcpsp.models.necks import PSPNeck
    neck = PSPNeck()
    seqs = torch.randn(2, 10, 256), torch.randn(2, 10, 256)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        branch = neck._branch(neck.visual_affinity_proj, seqs[1])
        assert branch.dtype == torch.bfloat16
        weights = neck._propagation_weights(branch, branch)
        assert all(w.dtype == torch.float32 for w in weights)
        with float32_regions(()):
            weights = neck._propagation_weights(branch, branch)
            assert all(w.dtype == torch.bfloat16 for w in weights)
