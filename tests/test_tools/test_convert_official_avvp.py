"""tools/model_converters/convert_official_avvp.py, run in process.

The parity test in tests/test_models runs the tool as a subprocess and
checks the converted networks' outputs against the reference.
"""
import importlib.util
import os.path as osp
import runpy
import sys
import tempfile
from unittest import TestCase, mock

import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmcpsp import __version__
from mmcpsp.datasets.llp import LLP_CLASSES
from mmcpsp.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTER = osp.join(REPO_ROOT, 'tools', 'model_converters',
                     'convert_official_avvp.py')
BASE_CONFIGS = dict(
    psp_mmil=osp.join(REPO_ROOT, 'configs', '_base_', 'models',
                      'psp_mmil.py'),
    han=osp.join(REPO_ROOT, 'configs', '_base_', 'models', 'han.py'))
_spec = importlib.util.spec_from_file_location(
    'reference_avvp',
    osp.join(REPO_ROOT, 'tests', 'test_models', 'reference_avvp.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def _convert(*args):
    with mock.patch.object(sys, 'argv', [CONVERTER, *args]):
        runpy.run_path(CONVERTER, run_name='__main__')


class TestConvertOfficialAVVP(TestCase):

    def setUp(self):
        self.tmp_dir = tempfile.TemporaryDirectory()
        self.src = osp.join(self.tmp_dir.name, 'official.pt')
        self.dst = osp.join(self.tmp_dir.name, 'out', 'avvp.pth')

    def tearDown(self):
        self.tmp_dir.cleanup()

    def _checkpoint(self):
        return torch.load(self.dst, weights_only=True)

    def test_both_layouts_load_strictly(self):
        for arch, official_key, key in (
            ('psp_mmil', 'lstm.lstm_video.weight_hh_l0_reverse',
             'neck.visual_lstm.weight_hh_l0_reverse'),
            ('han', 'hat_encoder.layers.0.cm_attn.in_proj_weight',
             'neck.cross_attn.in_proj_weight'),
        ):
            with self.subTest(arch=arch):
                official = ref.random_official_state_dict(arch, seed=2)
                torch.save(official, self.src)
                _convert(self.src, self.dst)
                checkpoint = self._checkpoint()
                meta = checkpoint['meta']
                self.assertEqual(meta['layout'], arch)
                self.assertEqual(meta['dtype'], 'float32')
                self.assertEqual(meta['converted_from'], 'official.pt')
                self.assertEqual(meta['mmcpsp_version'], __version__)
                self.assertEqual(
                    meta['dataset_meta'],
                    dict(classes=LLP_CLASSES, num_classes=25))
                cfg = Config.fromstring(meta['cfg'], '.py')
                self.assertEqual(cfg.model.head.type, 'MMILHead')
                self.assertTrue(
                    all(value.dtype == torch.float32
                        for value in checkpoint['state_dict'].values()))
                model = MODELS.build(cfg.model)
                load_checkpoint(model, self.dst, strict=True)
                torch.testing.assert_close(
                    model.state_dict()[key], official[official_key].float())

    def test_han_unused_modules_are_dropped(self):
        torch.save(ref.random_official_state_dict('han'), self.src)
        _convert(self.src, self.dst)
        state_dict = self._checkpoint()['state_dict']
        self.assertEqual(
            sum(value.numel() for value in state_dict.values()), 4569675)
        used = [
            key for key, _ in ref.HAN_KEYS
            if not key.startswith(ref.HAN_UNUSED)
        ]
        self.assertEqual(len(state_dict), len(used))

    def test_data_parallel_prefix_and_float64(self):
        official = ref.random_official_state_dict(
            'psp_mmil', seed=4, prefix='module.')
        torch.save(dict(state_dict=official), self.src)
        _convert(self.src, self.dst, '--dtype', 'float64')
        checkpoint = self._checkpoint()
        self.assertEqual(checkpoint['meta']['dtype'], 'float64')
        self.assertTrue(
            torch.equal(checkpoint['state_dict']['neck.psp.audio_out_proj.'
                                                 'weight'],
                        official['module.psp.a_fc.weight']))
        self.assertTrue(
            all(value.dtype == torch.float64
                for value in checkpoint['state_dict'].values()))

    def test_config_option(self):
        torch.save(ref.random_official_state_dict('han'), self.src)
        _convert(self.src, self.dst, '--config', BASE_CONFIGS['han'])
        self.assertEqual(self._checkpoint()['meta']['cfg'],
                         Config.fromfile(BASE_CONFIGS['han']).pretty_text)
        # The model of a PSP-MMIL config does not take HAN's weights.
        with self.assertRaisesRegex(
                SystemExit, 'Cannot convert.*does not take these weights.*'
                'neck.audio_lstm'):
            _convert(self.src, self.dst, '--config', BASE_CONFIGS['psp_mmil'])

    def test_unknown_layout(self):
        official = ref.random_official_state_dict('psp_mmil')
        official['gru.weight_ih_l0'] = torch.zeros(3)
        torch.save(official, self.src)
        with self.assertRaisesRegex(
                SystemExit, r'^Cannot convert .*: Unknown layout: no released '
                r'layout \(psp_mmil, han\) places the keys gru\.weight_ih_l0'
                r'\. Closest: .*psp_mmil'):
            _convert(self.src, self.dst)
        self.assertFalse(osp.exists(self.dst))

    def test_ave_checkpoint_is_not_an_avvp_layout(self):
        spec = importlib.util.spec_from_file_location(
            'reference_cpsp',
            osp.join(REPO_ROOT, 'tests', 'test_models', 'reference_cpsp.py'))
        ref_cpsp = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ref_cpsp)
        torch.save(ref_cpsp.random_official_state_dict(), self.src)
        with self.assertRaisesRegex(SystemExit, 'Unknown layout'):
            _convert(self.src, self.dst)

    def test_arch_is_checked(self):
        torch.save(ref.random_official_state_dict('han'), self.src)
        with self.assertRaisesRegex(
                SystemExit, 'psp_mmil layout.*Unexpected keys: '
                'audio_encoder.*missing: lstm.lstm_audio'):
            _convert(self.src, self.dst, '--arch', 'psp_mmil')
        _convert(self.src, self.dst, '--arch', 'han')
        self.assertTrue(osp.exists(self.dst))

    def test_missing_key(self):
        official = ref.random_official_state_dict('han')
        del official['hat_encoder.layers.0.norm2.bias']
        torch.save(official, self.src)
        with self.assertRaisesRegex(SystemExit,
                                    'missing.*hat_encoder.layers.0.norm2.bias'):
            _convert(self.src, self.dst)
        self.assertFalse(osp.exists(self.dst))
