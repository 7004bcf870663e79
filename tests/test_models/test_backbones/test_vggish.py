import os.path as osp
import tempfile
from unittest import TestCase

import pytest
import torch
from mmengine.registry import init_default_scope

from mmcpsp.registry import MODELS

#: The state dict of the PyTorch port's vggish-10086976.pth.
PUBLISHED_SHAPES = {
    'features.0.weight': (64, 1, 3, 3), 'features.0.bias': (64, ),
    'features.3.weight': (128, 64, 3, 3), 'features.3.bias': (128, ),
    'features.6.weight': (256, 128, 3, 3), 'features.6.bias': (256, ),
    'features.8.weight': (256, 256, 3, 3), 'features.8.bias': (256, ),
    'features.11.weight': (512, 256, 3, 3), 'features.11.bias': (512, ),
    'features.13.weight': (512, 512, 3, 3), 'features.13.bias': (512, ),
    'embeddings.0.weight': (4096, 12288), 'embeddings.0.bias': (4096, ),
    'embeddings.2.weight': (4096, 4096), 'embeddings.2.bias': (4096, ),
    'embeddings.4.weight': (128, 4096), 'embeddings.4.bias': (128, ),
}


def published_state_dict() -> dict:
    """Tensors of the published names and shapes; each holds one value
    broadcast (stride 0), so the file stays small."""
    return {
        key: torch.full((1, ), float(index)).expand(shape)
        for index, (key, shape) in enumerate(PUBLISHED_SHAPES.items())
    }


class TestVGGish(TestCase):

    def setUp(self):
        init_default_scope('mmcpsp')

    def test_published_layout_loads_from_a_local_path(self):
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'vggish-10086976.pth')
            torch.save(published_state_dict(), path)
            model = MODELS.build(dict(type='VGGish', pretrained=path))
            model.init_weights()
        self.assertEqual(
            {key: tuple(value.shape)
             for key, value in model.state_dict().items()}, PUBLISHED_SHAPES)
        self.assertTrue(
            (model.embeddings[4].bias == list(PUBLISHED_SHAPES).index(
                'embeddings.4.bias')).all())

    def test_a_wrong_file_names_the_keys(self):
        state = published_state_dict()
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
