"""tools/model_converters/convert_official_cpsp.py, run in process.

The parity test in tests/test_models runs the tool once as a subprocess.
"""
import importlib.util
import io
import os
import os.path as osp
import pickle
import runpy
import sys
import tempfile
import warnings
from contextlib import redirect_stdout
from unittest import TestCase, mock

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmcpsp import __version__
from mmcpsp.apis import inference_localizer, init_localizer
from mmcpsp.datasets.ave import AVE_CATEGORIES
from mmcpsp.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTER = osp.join(REPO_ROOT, 'tools', 'model_converters',
                     'convert_official_cpsp.py')
_spec = importlib.util.spec_from_file_location(
    'reference_cpsp',
    osp.join(REPO_ROOT, 'tests', 'test_models', 'reference_cpsp.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)
_spec = importlib.util.spec_from_file_location(
    'reference_psp_cvpr21',
    osp.join(REPO_ROOT, 'tests', 'test_models', 'reference_psp_cvpr21.py'))
ref_cvpr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref_cvpr)


class _RunsCode:
    """Unpickling it calls os.system, which creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def _convert(*args):
    with mock.patch.object(sys, 'argv', [CONVERTER, *args]):
        runpy.run_path(CONVERTER, run_name='__main__')


class TestConvertOfficialCPSP(TestCase):

    def setUp(self):
        self.tmp_dir = tempfile.TemporaryDirectory()
        self.src = osp.join(self.tmp_dir.name, 'official.pth')
        self.dst = osp.join(self.tmp_dir.name, 'out', 'cpsp.pth')
        self.official = ref.random_official_state_dict(seed=3)

    def tearDown(self):
        self.tmp_dir.cleanup()

    def test_wrapped_checkpoint_loads_with_load_from(self):
        torch.save(dict(model=self.official), self.src)
        _convert(self.src, self.dst)
        checkpoint = torch.load(self.dst, weights_only=True)
        meta = checkpoint['meta']
        self.assertEqual(
            {key: meta[key] for key in meta if key not in ('cfg',
                                                           'dataset_meta')},
            dict(
                converted_from='official.pth',
                source='CPSP codebase fully_psp_net / weakly_psp_net (AVE, '
                'VGG-19 maps)',
                layout='cpsp',
                dtype='float32',
                mmcpsp_version=__version__))
        self.assertEqual(
            meta['dataset_meta'],
            dict(classes=AVE_CATEGORIES + ('background', ), num_classes=28,
                 background_index=28))
        self.assertEqual(
            Config.fromstring(meta['cfg'], '.py').to_dict(),
            Config.fromfile(osp.join(REPO_ROOT, 'configs',
                                     'cpsp_fully_ave.py')).to_dict())
        self.assertTrue(
            all(value.dtype == torch.float32
                for value in checkpoint['state_dict'].values()))
        model = MODELS.build(
            dict(
                type='AVELLocalizer',
                backbone=dict(type='AVGAEncoder'),
                neck=dict(type='PSPNeck'),
                head=dict(type='CPSPHead', num_classes=28)))
        load_checkpoint(model, self.dst, strict=True)
        torch.testing.assert_close(
            model.neck.visual_message_proj.weight,
            self.official['module.psp.v_L1.weight'].float())

    def test_converted_checkpoint_is_enough_for_inference(self):
        """The authors' CPSP layout, converted: results carry AVE's names
        with or without the config."""
        torch.save(self.official, self.src)
        _convert(self.src, self.dst)
        features = (np.zeros((10, 128), np.float32),
                    np.zeros((10, 7, 7, 512), np.float32))
        for config in (None, osp.join(REPO_ROOT, 'configs',
                                      'cpsp_fully_ave.py')):
            with warnings.catch_warnings():
                warnings.simplefilter('error')  # no "class 0" warning
                model = init_localizer(config, self.dst)
            result = inference_localizer(model, features)
            self.assertEqual(result.classes[:2],
                             ('Church bell', 'Male speech, man speaking'))
            torch.testing.assert_close(
                model.neck.visual_message_proj.weight,
                self.official['module.psp.v_L1.weight'].float())

    def test_dataset_and_config_options(self):
        official = ref_cvpr.random_state_dict(ref_cvpr.cpsp_resnet_keys())
        torch.save(official, self.src)
        categories = osp.join(self.tmp_dir.name, 'categories.txt')
        names = [f'sound {index}' for index in range(141)]
        with open(categories, 'w') as file:
            file.write('\n'.join(names) + '\n')
        _convert(self.src, self.dst, '--dataset', 'vggsound_avel50k',
                 '--categories-file', categories)
        meta = torch.load(self.dst, weights_only=True)['meta']
        self.assertEqual(meta['dataset_meta']['classes'][:2],
                         ('sound 0', 'sound 1'))
        self.assertIn("meta_file='vggsound-avel50k.csv'", meta['cfg'])
        # Without the categories file the names are unknown, and said so.
        output = io.StringIO()
        with redirect_stdout(output):
            _convert(self.src, self.dst)
        self.assertIn('give --categories-file', output.getvalue())
        self.assertNotIn('dataset_meta',
                         torch.load(self.dst, weights_only=True)['meta'])
        with self.assertRaisesRegex(SystemExit, 'not trained on ave'):
            _convert(self.src, self.dst, '--dataset', 'ave')
        with self.assertRaisesRegex(SystemExit,
                                    'do not fit the model of .*ave'):
            _convert(self.src, self.dst, '--config',
                     osp.join(REPO_ROOT, 'configs', 'cpsp_fully_ave.py'))

    def test_float64(self):
        torch.save(dict(state_dict=self.official), self.src)
        _convert(self.src, self.dst, '--dtype', 'float64')
        checkpoint = torch.load(self.dst, weights_only=True)
        self.assertEqual(checkpoint['meta']['dtype'], 'float64')
        self.assertTrue(
            torch.equal(checkpoint['state_dict']['backbone.attention.'
                                                 'audio_energy.weight'],
                        self.official['module.attention.affine_g.weight']))

    def test_unexpected_key(self):
        self.official['module.psp.gate.weight'] = torch.zeros(3)
        torch.save(self.official, self.src)
        with self.assertRaisesRegex(SystemExit, 'Unexpected.*psp.gate.weight'):
            _convert(self.src, self.dst)
        self.assertFalse(osp.exists(self.dst))

    def test_missing_file(self):
        with self.assertRaisesRegex(SystemExit, 'Cannot convert.*absent'):
            _convert(osp.join(self.tmp_dir.name, 'absent.pth'), self.dst)

    def test_missing_key(self):
        del self.official['module.category_classifier.0.bias']
        torch.save(self.official, self.src)
        with self.assertRaisesRegex(SystemExit,
                                    'missing.*category_classifier.0.bias'):
            _convert(self.src, self.dst)
        self.assertFalse(osp.exists(self.dst))

    def test_arch_is_checked(self):
        torch.save(self.official, self.src)
        with self.assertRaisesRegex(
                SystemExit, 'Cannot convert.*psp_cvpr21_fully layout.*'
                'Unexpected keys: event_classifier'):
            _convert(self.src, self.dst, '--arch', 'psp_cvpr21_fully')
        _convert(self.src, self.dst, '--arch', 'cpsp')
        self.assertTrue(osp.exists(self.dst))

    def test_pickle_that_runs_code_is_refused(self):
        marker = osp.join(self.tmp_dir.name, 'pwned')
        self.official['module.fa.0.weight'] = _RunsCode(marker)
        torch.save(self.official, self.src)
        plain_pickle = osp.join(self.tmp_dir.name, 'plain.pkl')
        with open(plain_pickle, 'wb') as f:
            pickle.dump(dict(state_dict=_RunsCode(marker)), f)
        for src, reason in ((self.src, 'GLOBAL posix.system'),
                            (plain_pickle, 'Unsupported operand')):
            with self.assertRaisesRegex(
                    SystemExit, f'Cannot convert {src}: {src} is not a plain '
                    f'state dict of tensors.*could run code.*{reason}'):
                _convert(src, self.dst)
            self.assertFalse(osp.exists(marker))
            self.assertFalse(osp.exists(self.dst))
