"""ResNetPooled and R2Plus1D18 against torchvision's key names and an
independent re-implementation of torchvision's networks."""
import importlib.util
import os.path as osp
import tempfile
from unittest import TestCase

import torch
from mmengine.registry import DefaultScope, init_default_scope

from mmcpsp.models.backbones.r2plus1d18 import (
    Conv2plus1dMid,
    r2plus1d_mid_channels,
)
from mmcpsp.models.utils.torchvision_keys import (
    torchvision_r2plus1d_key,
    torchvision_resnet_key,
)
from mmcpsp.registry import MODELS
from mmcpsp.testing.weights import (
    compact_random_state_dict,
    torchvision_r2plus1d_18_shapes,
    torchvision_resnet_shapes,
)

_spec = importlib.util.spec_from_file_location(
    'reference_torchvision',
    osp.join(osp.dirname(osp.dirname(__file__)), 'reference_torchvision.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def mapped_shapes(shapes: dict, rename) -> dict:
    return {rename(key): shape for key, shape in shapes.items()
            if not key.startswith('fc.')}


def model_shapes(model: torch.nn.Module) -> dict:
    return {key: tuple(value.shape)
            for key, value in model.state_dict().items()}


class WeightFileMixin:
    """Build ``type_name`` with a torchvision-named file, strictly."""

    def build_loaded(self, state: dict, **kwargs) -> torch.nn.Module:
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'weights.pth')
            torch.save(state, path)
            model = MODELS.build(
                dict(type=self.type_name, pretrained=path, **kwargs))
            model.init_weights()
        return model


class TestResNetPooled(WeightFileMixin, TestCase):
    type_name = 'ResNetPooled'

    def setUp(self):
        init_default_scope('mmcpsp')

    def test_resnet152_keys_map_onto_mmaction_resnet(self):
        shapes = torchvision_resnet_shapes(152)
        self.assertEqual(len(shapes), 932)
        model = MODELS.build(dict(type='ResNetPooled', depth=152))
        self.assertEqual(model_shapes(model),
                         mapped_shapes(shapes, torchvision_resnet_key))

    def test_strict_load_with_and_without_batch_counters(self):
        for depth in (18, 50):
            state = compact_random_state_dict(torchvision_resnet_shapes(depth))
            for with_counters in (True, False):
                file_state = {
                    key: value for key, value in state.items()
                    if with_counters or 'num_batches_tracked' not in key}
                model = self.build_loaded(file_state, depth=depth)
                loaded = model.state_dict()
                for key, value in state.items():
                    if key.startswith('fc.'):
                        continue
                    self.assertTrue(torch.equal(
                        loaded[torchvision_resnet_key(key)], value), key)

    def test_missing_and_unexpected_keys_are_errors(self):
        state = compact_random_state_dict(torchvision_resnet_shapes(18))
        missing = dict(state)
        del missing['layer3.1.bn2.running_var']
        with self.assertRaisesRegex(RuntimeError,
                                    r'layer3\.1\.conv2\.bn\.running_var'):
            self.build_loaded(missing, depth=18)
        extra = dict(state, **{'layer5.0.conv1.weight': torch.zeros(1)})
        with self.assertRaisesRegex(RuntimeError, r'layer5\.0\.conv1'):
            self.build_loaded(extra, depth=18)

    def test_equals_torchvision_resnet(self):
        # Independent random values everywhere: a swapped key of the same
        # shape (bn1 for bn2) would load but not match.
        for depth in (18, 50):
            state = compact_random_state_dict(
                torchvision_resnet_shapes(depth), seed=depth, compact=False)
            model = self.build_loaded(state, depth=depth).double().eval()
            reference = ref.ReferenceResNet(depth)
            reference.load_state_dict(state)
            reference.double().eval()
            frames = torch.randn(2, 3, 64, 80, dtype=torch.float64)
            with torch.no_grad():
                features = model(frames)
                expected = reference(frames)
            self.assertEqual(features.shape, expected.shape)
            torch.testing.assert_close(features, expected, rtol=1e-9,
                                       atol=1e-9)

    def test_eval_returns_the_module(self):
        model = MODELS.build(dict(type='ResNetPooled', depth=18))
        self.assertIs(model.eval(), model)
        self.assertEqual(model(torch.randn(3, 3, 32, 32)).shape, (3, 512))


class TestR2Plus1D18(WeightFileMixin, TestCase):
    type_name = 'R2Plus1D18'

    def setUp(self):
        init_default_scope('mmcpsp')

    def test_torchvision_widths(self):
        shapes = torchvision_r2plus1d_18_shapes()
        self.assertEqual(len(shapes), 224)
        self.assertEqual(shapes['stem.0.weight'], (45, 3, 1, 7, 7))
        # Block 0 of stages 2-4: the width of (in, out) for both convs.
        for stage, mid, planes in ((2, 230, 128), (3, 460, 256),
                                   (4, 921, 512)):
            self.assertEqual(shapes[f'layer{stage}.0.conv2.0.0.weight'],
                             (mid, planes, 1, 3, 3))
        self.assertEqual(shapes['layer4.1.conv1.0.0.weight'],
                         (1152, 512, 1, 3, 3))
        self.assertEqual(r2plus1d_mid_channels(64, 128), 230)
        model = MODELS.build(dict(type='R2Plus1D18'))
        self.assertEqual(model_shapes(model),
                         mapped_shapes(shapes, torchvision_r2plus1d_key))
        # torchvision's 31,505,325 parameters less its 400-class fc.
        self.assertEqual(sum(p.numel() for p in model.parameters()),
                         31505325 - 512 * 400 - 400)

    def test_mmaction_resnet2plus1d_is_another_network(self):
        # The reason for R2Plus1D18 (its docstring): MMAction2's own
        # depth-18 R(2+1)D has other widths and a (2+1)D shortcut.
        with DefaultScope.overwrite_default_scope('mmaction'):
            mmaction_model = MODELS.build(dict(
                type='ResNet2Plus1d', depth=18, pretrained=None,
                pretrained2d=False, conv_cfg=dict(type='Conv2plus1d'),
                norm_cfg=dict(type='BN3d')))
        shapes = model_shapes(mmaction_model)
        self.assertEqual(shapes['conv1.conv.conv_s.weight'],
                         (83, 3, 1, 7, 7))
        self.assertEqual(shapes['layer2.0.conv2.conv.conv_s.weight'],
                         (288, 128, 1, 3, 3))
        self.assertIn('layer2.0.downsample.conv.conv_s.weight', shapes)

    def test_strict_load_and_equals_torchvision(self):
        state = compact_random_state_dict(
            torchvision_r2plus1d_18_shapes(), seed=1, compact=False)
        model = self.build_loaded(state, global_pool=True).double().eval()
        reference = ref.ReferenceR2Plus1D18()
        reference.load_state_dict(state)
        reference.double().eval()
        clips = torch.randn(2, 3, 8, 32, 40, dtype=torch.float64)
        with torch.no_grad():
            features = model(clips)
            expected = reference(clips)
        self.assertEqual(features.shape, (2, 512))
        torch.testing.assert_close(features, expected, rtol=1e-9, atol=1e-9)

    def test_file_without_batch_counters_and_missing_key(self):
        state = compact_random_state_dict(torchvision_r2plus1d_18_shapes())
        old = {key: value for key, value in state.items()
               if 'num_batches_tracked' not in key}
        model = self.build_loaded(old)
        self.assertTrue(torch.equal(
            model.state_dict()['layer1.0.conv1.conv.bn_s.running_var'],
            state['layer1.0.conv1.0.1.running_var']))
        del old['stem.3.weight']
        with self.assertRaisesRegex(RuntimeError, r'conv1\.conv\.conv_t'):
            self.build_loaded(old)

    def test_maps_and_pooling(self):
        model = MODELS.build(dict(type='R2Plus1D18')).eval()
        self.assertIs(model.eval(), model)
        with torch.no_grad():
            maps = model(torch.randn(1, 3, 8, 32, 32))
        self.assertEqual(maps.shape, (1, 512, 1, 2, 2))
        with self.assertRaisesRegex(ValueError, 'last stage'):
            MODELS.build(dict(type='R2Plus1D18', global_pool=True,
                              out_indices=(2, 3)))

    def test_conv2plus1d_mid(self):
        conv = Conv2plus1dMid(64, 128, (3, 3, 3), stride=2, padding=1)
        self.assertEqual(conv.mid_channels, 230)
        self.assertEqual(conv(torch.randn(1, 64, 4, 8, 8)).shape,
                         (1, 128, 2, 4, 4))
        self.assertEqual(
            Conv2plus1dMid(3, 64, (3, 7, 7), mid_channels=45).mid_channels,
            45)
        with self.assertRaisesRegex(ValueError, 'dilation'):
            Conv2plus1dMid(4, 4, 3, dilation=2)
