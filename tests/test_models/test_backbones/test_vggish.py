import os.path as osp
import tempfile
from unittest import TestCase

import pytest
import torch
from mmengine.registry import init_default_scope

from mmcpsp.registry import MODELS
from mmcpsp.testing.weights import VGGISH_SHAPES, compact_random_state_dict


class TestVGGish(TestCase):

    def setUp(self):
        init_default_scope('mmcpsp')

    def test_published_layout_loads_from_a_local_path(self):
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'vggish-10086976.pth')
            state = compact_random_state_dict(VGGISH_SHAPES)
            torch.save(state, path)
            model = MODELS.build(dict(type='VGGish', pretrained=path))
            model.init_weights()
        self.assertEqual(
            {key: tuple(value.shape)
             for key, value in model.state_dict().items()}, VGGISH_SHAPES)
        for key, value in model.state_dict().items():
            self.assertTrue(torch.equal(value, state[key]), key)

    def test_a_wrong_file_names_the_keys(self):
        state = compact_random_state_dict(VGGISH_SHAPES)
        state['embeddings.6.weight'] = state.pop('embeddings.4.weight')
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'other.pth')
            torch.save(state, path)
            model = MODELS.build(dict(type='VGGish', pretrained=path))
            with self.assertRaisesRegex(RuntimeError,
                                        'embeddings.4.weight'):
                model.init_weights()
        with self.assertRaisesRegex(FileNotFoundError, 'no such weight'):
            MODELS.build(dict(type='VGGish',
                              pretrained='/no/such.pth')).init_weights()

    def test_shape_and_range(self):
        model = MODELS.build(dict(type='VGGish'))
        embeddings = model(torch.randn(3, 96, 64))
        self.assertEqual(embeddings.shape, (3, 128))
        self.assertGreaterEqual(embeddings.min().item(), 0)
        with self.assertRaisesRegex(ValueError, r'\[N, 1, 96, 64\]'):
            model(torch.randn(3, 1, 64, 96))


def test_network_matches_the_pytorch_port():
    """Same state dict, same examples: the port's VGG and ours agree."""
    torchvggish = pytest.importorskip('torchvggish')
    torch.manual_seed(0)
    try:  # the port's repository: VGG(features)
        port = torchvggish.VGG(torchvggish.make_layers())
    except TypeError:  # its PyPI release 0.2: VGG(features, postprocess)
        port = torchvggish.VGG(torchvggish.make_layers(), False)
    # Larger weights than the default init, so activations are not tiny.
    with torch.no_grad():
        for param in port.parameters():
            param.mul_(4)
    port.eval()
    init_default_scope('mmcpsp')
    model = MODELS.build(dict(type='VGGish'))
    model.load_state_dict(port.state_dict(), strict=True)
    model.eval()
    examples = torch.randn(4, 1, 96, 64) * 3
    with torch.no_grad():
        expected = port(examples)
        embeddings = model(examples)
    assert expected.abs().max() > 1e-3
    torch.testing.assert_close(embeddings, expected, atol=1e-4, rtol=0)
