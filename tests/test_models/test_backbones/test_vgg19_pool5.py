import os.path as osp
import tempfile
from unittest import TestCase

import torch
from mmengine.registry import init_default_scope

from mmcpsp.registry import MODELS

#: Convolutions of torchvision's vgg19 (index in ``features``, in, out).
CONVS = ((0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128),
         (10, 128, 256), (12, 256, 256), (14, 256, 256), (16, 256, 256),
         (19, 256, 512), (21, 512, 512), (23, 512, 512), (25, 512, 512),
         (28, 512, 512), (30, 512, 512), (32, 512, 512), (34, 512, 512))
CLASSIFIER_SHAPES = {
    'classifier.0.weight': (4096, 25088), 'classifier.0.bias': (4096, ),
    'classifier.3.weight': (4096, 4096), 'classifier.3.bias': (4096, ),
    'classifier.6.weight': (1000, 4096), 'classifier.6.bias': (1000, ),
}


def feature_shapes() -> dict:
    shapes = {}
    for index, in_channels, out_channels in CONVS:
        shapes[f'features.{index}.weight'] = (out_channels, in_channels, 3,
                                              3)
        shapes[f'features.{index}.bias'] = (out_channels, )
    return shapes


def torchvision_state_dict() -> dict:
    """The keys and shapes of vgg19-dcbb9e9d.pth; each tensor holds one
    value broadcast (stride 0), so the file stays small."""
    shapes = {**feature_shapes(), **CLASSIFIER_SHAPES}
    return {
        key: torch.full((1, ), float(index)).expand(shape)
        for index, (key, shape) in enumerate(shapes.items())
    }


class TestVGG19Pool5(TestCase):

    def setUp(self):
        init_default_scope('mmcpsp')

    def test_torchvision_file_loads_without_its_classifier(self):
        state = torchvision_state_dict()
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'vgg19-dcbb9e9d.pth')
            torch.save(state, path)
            model = MODELS.build(dict(type='VGG19Pool5', pretrained=path))
            model.init_weights()
        self.assertEqual(
            {key: tuple(value.shape)
             for key, value in model.state_dict().items()}, feature_shapes())
        for key, value in model.state_dict().items():
            self.assertTrue(torch.equal(value, state[key]), key)

    def test_a_missing_feature_key_is_an_error(self):
        state = torchvision_state_dict()
        del state['features.34.bias']
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'vgg19.pth')
            torch.save(state, path)
            model = MODELS.build(dict(type='VGG19Pool5', pretrained=path))
            with self.assertRaisesRegex(RuntimeError, 'features.34.bias'):
                model.init_weights()

    def test_pool5_maps(self):
        model = MODELS.build(dict(type='VGG19Pool5'))
        model.init_weights()
        maps = model(torch.randn(1, 3, 224, 224))
        self.assertEqual(maps.shape, (1, 512, 7, 7))
        self.assertGreaterEqual(maps.min().item(), 0)
