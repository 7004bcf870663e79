"""The CVPR 2021 PSP and the VGGSound-AVEL ResNet layout, on converted weights.

Random float64 weights under the key names each released network holds
(``module.`` prefix, unused modules included) are converted by the
command-line tool, loaded with ``strict=True`` into the model of the
matching config, and must reproduce an independent float64 implementation
of method.md section 8 (outputs, losses, gradients and predictions, to
1e-9).
"""
import importlib.util
import io
import os.path as osp
import runpy
import sys
import tempfile
from contextlib import redirect_stdout
from unittest import TestCase, mock

import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmcpsp.models.utils import convert_official_state_dict
from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    GT_VIDEO_PROB_LABEL,
    PRED_SEGMENT_LABELS,
)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTER = osp.join(REPO_ROOT, 'tools', 'model_converters',
                     'convert_official_cpsp.py')
_spec = importlib.util.spec_from_file_location(
    'reference_psp_cvpr21',
    osp.join(osp.dirname(__file__), 'reference_psp_cvpr21.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

NUM_CLASSES = 28
ATOL = 1e-10
RTOL = 1e-9
# Class per segment (background = 28), T = 5: a partial event, an
# all-event video, an all-background video.
SEGMENT_LABELS = [[28, 3, 3, 3, 28], [3] * 5, [28] * 5]
# Normalised weak labels of three videos: 60 % of class 3, all class 7, and
# a background-only video (the background one-hot).
PROB_LABELS = [(3, 0.6), (7, 1.0), (None, 0.0)]


def _model_from_config(name: str):
    model = Config.fromfile(osp.join(REPO_ROOT, 'configs', name)).model
    model.precision = 'float64'
    return MODELS.build(model).eval()


def _convert(tmp_dir: str, official: dict, name: str):
    """Run the converter in process (tests/test_models/
    test_official_parity.py runs it once as a subprocess); its output."""
    src = osp.join(tmp_dir, f'{name}_official.pth')
    dst = osp.join(tmp_dir, f'{name}_mmcpsp.pth')
    torch.save(official, src)
    output = io.StringIO()
    argv = [CONVERTER, src, dst, '--dtype', 'float64']
    with mock.patch.object(sys, 'argv', argv), redirect_stdout(output):
        runpy.run_path(CONVERTER, run_name='__main__')
    return output.getvalue(), dst


def _leaves(official):
    return {
        key: value.clone().requires_grad_(True)
        for key, value in official.items()
    }


def _inputs(batch_size, num_segments, visual_channels, seed=1):
    generator = torch.Generator().manual_seed(seed)
    audio = torch.randn(
        batch_size, num_segments, 128, generator=generator,
        dtype=torch.float64)
    visual = torch.rand(
        batch_size, num_segments, 7, 7, visual_channels,
        generator=generator, dtype=torch.float64)
    return audio, visual


class TestPSPCVPR21Parity(TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        cls.official = dict(
            fully=ref.random_state_dict(ref.psp_cvpr21_fully_keys(), seed=0),
            weakly=ref.random_state_dict(ref.psp_cvpr21_weakly_keys(),
                                         seed=1))
        cls.converted = {
            name: _convert(cls.tmp_dir.name, state, name)
            for name, state in cls.official.items()
        }
        cls.audio, cls.visual = _inputs(
            len(SEGMENT_LABELS), len(SEGMENT_LABELS[0]), 512)

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def _model(self, name):
        output, path = self.converted[name]
        self.assertIn(f'psp_cvpr21_{name} network', output)
        model = _model_from_config(f'psp_cvpr21_{name}_ave.py')
        load_checkpoint(model, path, strict=True)
        return model

    def _assert_grads_match(self, model, official):
        grads = {
            key: torch.zeros_like(value) if value.grad is None else value.grad
            for key, value in official.items()
        }
        expected = convert_official_state_dict(grads, dtype=torch.float64)
        for name, param in model.named_parameters():
            grad = (torch.zeros_like(param)
                    if param.grad is None else param.grad)
            torch.testing.assert_close(
                grad, expected[name], rtol=RTOL, atol=ATOL, msg=name)

    def test_parameter_counts(self):
        for name, count in (('fully', 1_548_657), ('weakly', 1_253_902)):
            model = _model_from_config(f'psp_cvpr21_{name}_ave.py')
            self.assertEqual(
                sum(param.numel() for param in model.parameters()), count,
                name)

    def test_fully_supervised(self):
        model = self._model('fully')
        official = _leaves(self.official['fully'])
        reference = ref.fully_forward(official, self.audio, self.visual)
        inputs = dict(audio=self.audio, visual=self.visual)
        torch.testing.assert_close(
            model(inputs, mode='tensor'),
            reference['segment_logits'],
            rtol=RTOL,
            atol=ATOL)

        samples = []
        for labels in SEGMENT_LABELS:
            sample = ActionDataSample()
            sample.set_field(
                torch.tensor(labels), GT_SEGMENT_LABELS, dtype=torch.Tensor)
            samples.append(sample)
        losses = model(inputs, samples, mode='loss')
        expected = ref.fully_loss(reference, SEGMENT_LABELS)
        self.assertEqual(set(losses), set(expected))
        for name, value in expected.items():
            torch.testing.assert_close(
                losses[name], value, rtol=RTOL, atol=ATOL, msg=name)
            self.assertGreater(value.item(), 0, name)
        sum(losses.values()).backward()
        sum(expected.values()).backward()
        self._assert_grads_match(model, official)

        with torch.no_grad():
            predictions = model(inputs, mode='predict')
        expected_labels = reference['segment_logits'].argmax(dim=-1)
        for prediction, labels in zip(predictions, expected_labels):
            self.assertEqual(
                prediction.get(PRED_SEGMENT_LABELS).tolist(), labels.tolist())

    def test_weakly_supervised(self):
        model = self._model('weakly')
        official = _leaves(self.official['weakly'])
        reference = ref.weakly_forward(official, self.audio, self.visual)
        inputs = dict(audio=self.audio, visual=self.visual)
        torch.testing.assert_close(
            model(inputs, mode='tensor'),
            reference['segment_logits'],
            rtol=RTOL,
            atol=ATOL)

        targets = torch.zeros(len(PROB_LABELS), NUM_CLASSES + 1,
                              dtype=torch.float64)
        samples = []
        for row, (video_class, share) in enumerate(PROB_LABELS):
            if video_class is not None:
                targets[row, video_class] = share
            targets[row, NUM_CLASSES] = 1 - share
            sample = ActionDataSample()
            sample.set_field(
                targets[row], GT_VIDEO_PROB_LABEL, dtype=torch.Tensor)
            samples.append(sample)
        losses = model(inputs, samples, mode='loss')
        expected = ref.video_bce_loss(reference['video_prob'], targets)
        self.assertEqual(set(losses), {'loss_cls'})
        torch.testing.assert_close(
            losses['loss_cls'], expected, rtol=RTOL, atol=ATOL)
        losses['loss_cls'].backward()
        expected.backward()
        self._assert_grads_match(model, official)

        with torch.no_grad():
            predictions = model(inputs, mode='predict')
        expected_labels = reference['segment_logits'].argmax(dim=-1)
        for prediction, labels in zip(predictions, expected_labels):
            self.assertEqual(
                prediction.get(PRED_SEGMENT_LABELS).tolist(), labels.tolist())


class TestCPSPResNetLayout(TestCase):
    """resnet_psp_net (VGGSound-AVEL): ``psp.`` prefix, ``align_v`` dropped."""

    def test_converts_loads_and_matches(self):
        official = ref.random_state_dict(ref.cpsp_resnet_keys(), seed=2)
        audio, visual = _inputs(2, 4, 1024, seed=3)
        with tempfile.TemporaryDirectory() as tmp_dir:
            output, path = _convert(tmp_dir, official, 'resnet')
            self.assertIn('cpsp_resnet network', output)
            for config in ('cpsp_fully_vggsound_avel100k.py',
                           'cpsp_weakly_vggsound_avel100k.py'):
                model = _model_from_config(config)
                load_checkpoint(model, path, strict=True)
            checkpoint = torch.load(path, weights_only=True)
        self.assertFalse(
            any('align' in key for key in checkpoint['state_dict']))
        inner = {
            key[len('module.psp.'):]: value
            for key, value in official.items()
            if key.startswith('module.psp.')
        }
        reference = ref.ref_cpsp.reference_forward(inner, audio, visual,
                                                   0.095)
        event_logits, category_logits = model(
            dict(audio=audio, visual=visual), mode='tensor')
        torch.testing.assert_close(
            event_logits, reference['event_logits'], rtol=RTOL, atol=ATOL)
        torch.testing.assert_close(
            category_logits,
            reference['category_logits'],
            rtol=RTOL,
            atol=ATOL)
