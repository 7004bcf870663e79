import os.path as osp
import tempfile
from unittest import TestCase

import torch
from mmengine.registry import init_default_scope

from mmcpsp.registry import MODELS
from mmcpsp.testing.weights import (
    VGG19_CLASSIFIER_SHAPES,
    VGG19_FEATURE_SHAPES,
    compact_random_state_dict,
)


def torchvision_state_dict() -> dict:
    """The keys and shapes of vgg19-dcbb9e9d.pth, random values."""
    return compact_random_state_dict({
        **VGG19_FEATURE_SHAPES,
        **VGG19_CLASSIFIER_SHAPES
    })


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
             for key, value in model.state_dict().items()}, VGG19_FEATURE_SHAPES)
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
