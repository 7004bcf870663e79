"""Whole pickled networks, as the CVPR 2021 PSP release saved them
(``torch.save(net_model, ...)``), are read without their classes."""
import importlib
import os
import os.path as osp
import pickle
import sys
import textwrap

import pytest
import torch

from mmcpsp.models.utils import (
    convert_official_state_dict,
    detect_official_layout,
    load_official_checkpoint,
)
from mmcpsp.models.utils.pickled_module import (
    load_pickled_module_state,
    module_classes,
)

# The module structure of PSP_CVPR_2021's fully_model.psp_net (layers
# only), saved under the same module and class names.
FULLY_MODEL = textwrap.dedent('''
    import torch.nn as nn

    class AVGA(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = nn.ReLU()
            self.affine_audio = nn.Linear(128, 512)
            self.affine_video = nn.Linear(512, 512)
            self.affine_v = nn.Linear(512, 49, bias=False)
            self.affine_g = nn.Linear(512, 49, bias=False)
            self.affine_h = nn.Linear(49, 1, bias=False)

    class LSTM_A_V(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm_audio = nn.LSTM(128, 128, 1, batch_first=True,
                                      bidirectional=True)
            self.lstm_video = nn.LSTM(128, 128, 1, batch_first=True,
                                      bidirectional=True)

    class PSP(nn.Module):
        def __init__(self):
            super().__init__()
            for name in ('v_L1', 'v_L2', 'v_fc', 'a_L1', 'a_L2', 'a_fc'):
                setattr(self, name, nn.Linear(256, 256, bias=False))
            self.activation = nn.ReLU()
            self.relu = nn.ReLU()
            self.dropout = nn.Dropout(p=0.1)
            self.layer_norm = nn.LayerNorm(256, eps=1e-6)

    class Classify(nn.Module):
        def __init__(self):
            super().__init__()
            self.L1 = nn.Linear(256, 64, bias=False)
            self.L2 = nn.Linear(64, 28, bias=False)

    class AVSimilarity(nn.Module):
        pass

    class psp_net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fa = nn.Sequential(nn.Linear(128, 256, bias=False),
                                    nn.Linear(256, 128, bias=False))
            self.fv = nn.Sequential(nn.Linear(512, 256, bias=False),
                                    nn.Linear(256, 128, bias=False))
            self.linear_v = nn.Linear(512, 128)
            self.relu = nn.ReLU()
            self.attention = AVGA()
            self.lstm_a_v = LSTM_A_V()
            self.psp = PSP()
            self.av_simm = AVSimilarity()
            self.v_classify = Classify()
            self.a_classify = Classify()
            self.L1 = nn.Linear(256, 64, bias=False)
            self.L2 = nn.Linear(64, 29, bias=False)
            self.L3 = nn.Linear(256, 64)
            self.L4 = nn.Linear(64, 2)
''')


class _RunsCode:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


@pytest.fixture
def saved_networks(tmp_path):
    """psp_net saved whole, legacy and zip format; its module is gone
    from sys.modules and sys.path afterwards."""
    (tmp_path / 'fully_model.py').write_text(FULLY_MODEL)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module('fully_model')
        torch.manual_seed(0)
        network = module.psp_net()
        paths = dict(legacy=str(tmp_path / 'PSP_fully.pt'),
                     zip=str(tmp_path / 'PSP_fully_zip.pt'))
        torch.save(network, paths['legacy'],
                   _use_new_zipfile_serialization=False)
        torch.save(network, paths['zip'])
        network.extra = _RunsCode(str(tmp_path / 'pwned'))
        paths['runs_code'] = str(tmp_path / 'PSP_runs_code.pt')
        torch.save(network, paths['runs_code'])
        del network.extra
        state = network.state_dict()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop('fully_model', None)
    return paths, state


@pytest.mark.parametrize('kind', ['legacy', 'zip'])
def test_reads_the_weights_without_the_classes(saved_networks, kind):
    paths, expected = saved_networks
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module('fully_model')
    assert 'fully_model.psp_net' in module_classes(paths[kind])
    loaded = load_official_checkpoint(paths[kind])
    assert list(loaded) == list(expected)
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key
    assert detect_official_layout(loaded).name == 'psp_cvpr21_fully'
    converted = convert_official_state_dict(loaded)
    assert torch.equal(converted['head.segment_classifier.weight'],
                       expected['L2.weight'])


def test_a_pickled_network_that_runs_code_is_refused(saved_networks):
    paths, _ = saved_networks
    assert module_classes(paths['runs_code']) is None
    with pytest.raises(pickle.UnpicklingError,
                       match='PSP_runs_code.pt is not a plain state dict'):
        load_official_checkpoint(paths['runs_code'])
    assert not osp.exists(osp.join(osp.dirname(paths['zip']), 'pwned'))


def test_the_unpickler_itself_refuses_other_globals(saved_networks):
    # Even past the static check, resolving posix.system fails.
    paths, _ = saved_networks
    classes = module_classes(paths['zip'])
    with pytest.raises(pickle.UnpicklingError, match='refusing posix.system'):
        load_pickled_module_state(paths['runs_code'], classes)
    assert not osp.exists(osp.join(osp.dirname(paths['zip']), 'pwned'))
