import os.path as osp
import pickle
import tempfile
from collections import OrderedDict
from unittest import TestCase

import torch

from mmcpsp.models.utils import (
    OFFICIAL_AVVP_LAYOUTS,
    OFFICIAL_LAYOUTS,
    convert_official_state_dict,
    detect_official_layout,
    load_official_checkpoint,
    unwrap_official_checkpoint,
)
from mmcpsp.registry import MODELS

OFFICIAL_USED_KEYS = tuple(OFFICIAL_LAYOUTS['cpsp'].renames)
UNUSED_KEYS = ('linear_v.weight', 'linear_v.bias', 'v_classify.L1.weight',
               'v_classify.L2.weight', 'a_classify.L1.weight',
               'a_classify.L2.weight', 'L1.weight', 'L2.weight')


class _Payload:
    """An arbitrary object: unpickling it could run code."""


def _official(prefix='module.'):
    """Every official key (used and unused) with a distinct scalar value."""
    keys = OFFICIAL_USED_KEYS + UNUSED_KEYS
    return OrderedDict((prefix + key,
                        torch.full((2, ), float(index), dtype=torch.float64))
                       for index, key in enumerate(keys))


class TestConvertOfficialStateDict(TestCase):

    def test_keys_match_the_localizer(self):
        model = MODELS.build(
            dict(
                type='AVELLocalizer',
                backbone=dict(type='AVGAEncoder'),
                neck=dict(type='PSPNeck'),
                head=dict(type='CPSPHead', num_classes=28)))
        converted = convert_official_state_dict(_official())
        self.assertEqual(set(converted), set(model.state_dict()))
        self.assertEqual(len(OFFICIAL_USED_KEYS), len(converted))

    def test_mapping(self):
        official = _official()
        converted = convert_official_state_dict(official)
        pairs = {
            'fa.1.weight': 'backbone.audio_embedding.1.weight',
            'fv.0.weight': 'backbone.visual_embedding.0.weight',
            'attention.affine_audio.bias':
            'backbone.attention.audio_hidden.bias',
            'attention.affine_video.weight':
            'backbone.attention.visual_hidden.weight',
            'attention.affine_v.weight':
            'backbone.attention.visual_energy.weight',
            'attention.affine_g.weight':
            'backbone.attention.audio_energy.weight',
            'attention.affine_h.weight':
            'backbone.attention.region_score.weight',
            'lstm_a_v.lstm_audio.weight_hh_l0_reverse':
            'backbone.audio_lstm.weight_hh_l0_reverse',
            'lstm_a_v.lstm_video.bias_ih_l0':
            'backbone.visual_lstm.bias_ih_l0',
            'psp.v_L1.weight': 'neck.visual_message_proj.weight',
            'psp.v_L2.weight': 'neck.visual_affinity_proj.weight',
            'psp.a_L1.weight': 'neck.audio_affinity_proj.weight',
            'psp.a_L2.weight': 'neck.audio_message_proj.weight',
            'psp.v_fc.weight': 'neck.visual_out_proj.weight',
            'psp.a_fc.weight': 'neck.audio_out_proj.weight',
            'psp.layer_norm.bias': 'neck.layer_norm.bias',
            'event_classifier.0.bias': 'head.event_classifier.bias',
            'category_classifier.0.weight': 'head.category_classifier.weight',
        }
        for official_key, key in pairs.items():
            self.assertTrue(
                torch.equal(converted[key],
                            official['module.' + official_key].float()),
                official_key)

    def test_dtype_and_prefix(self):
        converted = convert_official_state_dict(_official(prefix=''))
        self.assertTrue(
            all(value.dtype == torch.float32 for value in converted.values()))
        converted = convert_official_state_dict(
            _official(), dtype=torch.float64)
        self.assertTrue(
            all(value.dtype == torch.float64 for value in converted.values()))

    def test_unexpected_key_is_named(self):
        official = _official()
        official['module.psp.extra.weight'] = torch.zeros(1)
        with self.assertRaisesRegex(ValueError,
                                    'Unexpected.*psp.extra.weight'):
            convert_official_state_dict(official)

    def test_missing_key_is_named(self):
        official = _official()
        del official['module.lstm_a_v.lstm_video.bias_hh_l0_reverse']
        with self.assertRaisesRegex(
                ValueError, 'missing.*lstm_a_v.lstm_video.bias_hh_l0_reverse'):
            convert_official_state_dict(official)

    def test_value_that_is_not_a_tensor(self):
        official = _official()
        official['module.fa.0.weight'] = [1.0]
        with self.assertRaisesRegex(TypeError, 'fa.0.weight'):
            convert_official_state_dict(official)


class TestLoadOfficialCheckpoint(TestCase):

    def test_plain_and_wrapped(self):
        official = _official()
        for wrapped in (official, dict(state_dict=official),
                        dict(model=official)):
            self.assertIs(unwrap_official_checkpoint(wrapped), official)
        with self.assertRaisesRegex(TypeError, 'dict of tensors'):
            unwrap_official_checkpoint([official])

    def test_reads_tensors_only(self):
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'official.pth')
            torch.save(dict(model=_official()), path)
            loaded = load_official_checkpoint(path)
            self.assertEqual(list(loaded), list(_official()))
            torch.save(dict(model=_official(), extra=_Payload()), path)
            with self.assertRaises(pickle.UnpicklingError):
                load_official_checkpoint(path)


class TestDetectOfficialLayout(TestCase):

    def _keys(self, layout):
        """Used keys of ``layout`` plus one key of each unused module."""
        keys = list(layout.renames)
        keys += [name + '.weight' for name in layout.unused]
        return OrderedDict((key, torch.zeros(1)) for key in keys)

    def test_every_layout_is_recognised(self):
        for name, layout in OFFICIAL_LAYOUTS.items():
            state = self._keys(layout)
            self.assertIs(detect_official_layout(state), layout, name)
            prefixed = OrderedDict(
                ('module.' + key, value) for key, value in state.items())
            self.assertIs(detect_official_layout(prefixed), layout, name)
            self.assertIs(detect_official_layout(state, arch=name), layout)

    def test_layouts_are_told_apart(self):
        # No layout's keys fit another layout exactly.
        for name, layout in OFFICIAL_LAYOUTS.items():
            for other_name in OFFICIAL_LAYOUTS:
                if other_name != name:
                    with self.assertRaises(ValueError):
                        detect_official_layout(
                            self._keys(layout), arch=other_name)

    def test_unknown_layout_names_the_keys(self):
        state = self._keys(OFFICIAL_LAYOUTS['psp_cvpr21_weakly'])
        state['module.gru.weight_ih_l0'] = torch.zeros(1)
        state['extra_head.bias'] = torch.zeros(1)
        with self.assertRaisesRegex(
                ValueError, r'Unknown layout.*places the keys '
                r'gru\.weight_ih_l0, extra_head\.bias\. Closest: .*'
                r'psp_cvpr21_weakly'):
            detect_official_layout(state)

    def test_arch_mismatch_names_the_keys(self):
        state = self._keys(OFFICIAL_LAYOUTS['cpsp'])
        with self.assertRaisesRegex(
                ValueError, r'psp_cvpr21_weakly layout.*Unexpected keys: '
                r'fa\.0\.weight.*missing: .*W3\.weight'):
            detect_official_layout(state, arch='psp_cvpr21_weakly')
        with self.assertRaisesRegex(ValueError, 'Unknown arch'):
            detect_official_layout(state, arch='avel')

    def test_resnet_layout_drops_align_v(self):
        state = self._keys(OFFICIAL_LAYOUTS['cpsp_resnet'])
        converted = convert_official_state_dict(state)
        self.assertEqual(set(converted),
                         set(convert_official_state_dict(
                             self._keys(OFFICIAL_LAYOUTS['cpsp']))))


class TestVideoParsingLayouts(TestCase):
    """The same functions over another set of layouts."""

    def _keys(self, layout):
        keys = list(layout.renames)
        keys += [name + '.weight' for name in layout.unused]
        return OrderedDict((key, torch.zeros(1)) for key in keys)

    def test_recognised_and_told_apart(self):
        for name, layout in OFFICIAL_AVVP_LAYOUTS.items():
            state = self._keys(layout)
            self.assertIs(
                detect_official_layout(state, layouts=OFFICIAL_AVVP_LAYOUTS),
                layout)
            for other in OFFICIAL_AVVP_LAYOUTS:
                if other != name:
                    with self.assertRaises(ValueError):
                        detect_official_layout(
                            state, other, layouts=OFFICIAL_AVVP_LAYOUTS)
            # The event localization layouts do not take it.
            with self.assertRaisesRegex(ValueError, 'Unknown layout'):
                detect_official_layout(state)

    def test_unknown_arch_names_the_layouts(self):
        with self.assertRaisesRegex(ValueError,
                                    'Unknown arch .cpsp.: one of psp_mmil, '
                                    'han'):
            detect_official_layout(
                self._keys(OFFICIAL_AVVP_LAYOUTS['han']),
                'cpsp',
                layouts=OFFICIAL_AVVP_LAYOUTS)

    def test_han_drops_its_unused_modules(self):
        state = self._keys(OFFICIAL_AVVP_LAYOUTS['han'])
        state['hat_encoder.layers.0.norm1.weight'] = torch.ones(1)
        converted = convert_official_state_dict(
            state, layouts=OFFICIAL_AVVP_LAYOUTS)
        self.assertEqual(len(converted), 30)
        self.assertEqual(converted['neck.attention_norm.weight'].item(), 1)
