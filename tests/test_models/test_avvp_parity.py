"""The AVVP networks against an independent float64 reference.

Random weights under the authors' key names and shapes (HAN's unused
modules included) are converted once per network by the command-line
tool, loaded strictly into the model of its base config (float64), and the
model must reproduce the reference's outputs, predictions, loss terms and
gradients.
"""
import importlib.util
import os.path as osp
import subprocess
import sys
import tempfile
from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmcpsp.models.utils import (
    OFFICIAL_AVVP_LAYOUTS,
    convert_official_state_dict,
)
from mmcpsp.registry import MODELS
from mmcpsp.structures import GT_WEAK_LABEL

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTER = osp.join(REPO_ROOT, 'tools', 'model_converters',
                     'convert_official_avvp.py')
_spec = importlib.util.spec_from_file_location(
    'reference_avvp', osp.join(osp.dirname(__file__), 'reference_avvp.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

ATOL = 1e-10
RTOL = 1e-8
BATCH_SIZE = 4
NUM_SEGMENTS = 10
# Weak labels: every anchor has a negative; video 0 ({0}) has two
# positives (itself and {0, 3}), video 1 ({0, 3}) only itself.
WEAK_CLASSES = [[0], [0, 3], [5], [3, 7]]
# A batch in which every video holds class 0: no anchor has a negative.
NO_NEGATIVE_CLASSES = [[0], [0, 3], [0], [0, 5]]


def _model_cfg(arch: str, dropout: float = None) -> dict:
    model = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'models',
                 f'{arch}.py')).model
    model.precision = 'float64'
    if dropout is not None:
        model.neck.dropout = dropout
    return model


def _weak_label(classes):
    label = torch.zeros(len(classes), 25, dtype=torch.float64)
    for row, names in enumerate(classes):
        label[row, names] = 1
    return label


def _samples(weak_label):
    samples = []
    for row in weak_label:
        sample = ActionDataSample()
        sample.set_field(row.float(), GT_WEAK_LABEL, dtype=torch.Tensor)
        samples.append(sample)
    return samples


class _AVVPParity:
    """Shared checks; subclasses set ``arch`` and ``reference``."""

    arch = ''

    @classmethod
    def setUpClass(cls):
        cls.official = ref.random_official_state_dict(cls.arch, seed=0)
        generator = torch.Generator().manual_seed(1)
        cls.audio = torch.randn(
            BATCH_SIZE, NUM_SEGMENTS, 128, generator=generator,
            dtype=torch.float64)
        cls.visual = torch.rand(
            BATCH_SIZE, NUM_SEGMENTS * 8, 2048, generator=generator,
            dtype=torch.float64)
        cls.visual_st = torch.rand(
            BATCH_SIZE, NUM_SEGMENTS, 512, generator=generator,
            dtype=torch.float64)
        cls.tmp_dir = tempfile.TemporaryDirectory()
        src = osp.join(cls.tmp_dir.name, f'{cls.arch}_official.pt')
        cls.converted_path = osp.join(cls.tmp_dir.name, f'{cls.arch}.pth')
        torch.save(cls.official, src)
        cls.converter_run = subprocess.run(
            [
                sys.executable, CONVERTER, src, cls.converted_path,
                '--dtype', 'float64'
            ],
            capture_output=True,
            text=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def _inputs(self):
        # The packed layout: frames 8t .. 8t + 7 are row t.
        return dict(
            audio=self.audio,
            visual=self.visual.reshape(BATCH_SIZE, NUM_SEGMENTS, 8, 2048),
            visual_st=self.visual_st)

    def _model(self, dropout=None):
        self.assertEqual(self.converter_run.returncode, 0,
                         self.converter_run.stderr)
        model = MODELS.build(_model_cfg(self.arch, dropout)).eval()
        load_checkpoint(model, self.converted_path, strict=True)
        return model

    def _official_leaves(self):
        return {
            key: value.clone().requires_grad_(True)
            for key, value in self.official.items()
        }

    def _expected_losses(self, reference, weak_label):
        raise NotImplementedError

    def test_converted_checkpoint(self):
        self.assertEqual(self.converter_run.returncode, 0,
                         self.converter_run.stderr)
        checkpoint = torch.load(self.converted_path, weights_only=True)
        self.assertEqual(checkpoint['meta']['layout'], self.arch)
        expected = convert_official_state_dict(
            self.official, torch.float64, layouts=OFFICIAL_AVVP_LAYOUTS)
        self.assertEqual(list(checkpoint['state_dict']), list(expected))
        for key, value in expected.items():
            self.assertTrue(torch.equal(checkpoint['state_dict'][key], value))
        model = MODELS.build(_model_cfg(self.arch))
        self.assertEqual(set(model.state_dict()), set(expected))
        self.assertEqual(
            sum(param.numel() for param in model.parameters()),
            ref.used_parameter_count(self.arch))

    def test_eval_outputs_and_predictions(self):
        model = self._model()
        reference = self.reference(self.official)
        with torch.no_grad():
            outputs = model(self._inputs(), mode='tensor')
            predictions = model(self._inputs(), mode='predict')
        names = ('frame_probs', 'global_probs', 'audio_global_probs',
                 'visual_global_probs')
        for name, value in zip(names, outputs):
            torch.testing.assert_close(
                value, reference[name], rtol=RTOL, atol=ATOL, msg=name)
        audio_labels, visual_labels = ref.predict_labels(
            reference, model.head.filter_by)
        for index, sample in enumerate(predictions):
            torch.testing.assert_close(
                sample.pred_audio, reference['frame_probs'][index, :, 0])
            torch.testing.assert_close(
                sample.pred_visual, reference['frame_probs'][index, :, 1])
            torch.testing.assert_close(sample.pred_global,
                                       reference['global_probs'][index])
            torch.testing.assert_close(
                sample.pred_audio_global,
                reference['audio_global_probs'][index])
            torch.testing.assert_close(
                sample.pred_visual_global,
                reference['visual_global_probs'][index])
            self.assertTrue(
                torch.equal(sample.pred_audio_labels, audio_labels[index]))
            self.assertTrue(
                torch.equal(sample.pred_visual_labels, visual_labels[index]))
        # Some segments pass and some do not: the rule is exercised.
        self.assertGreater(int(audio_labels.sum() + visual_labels.sum()), 0)
        self.assertLess(int(audio_labels.sum()), audio_labels.numel())

    def _check_training(self, classes):
        # Training mode with every dropout at 0: the reference's maths.
        model = self._model(dropout=0.0).train()
        official = self._official_leaves()
        reference = self.reference(official)
        weak_label = _weak_label(classes)
        losses = model(self._inputs(), _samples(weak_label), mode='loss')
        expected = self._expected_losses(reference, weak_label)
        self.assertEqual(set(losses), set(expected))
        for name, value in expected.items():
            torch.testing.assert_close(
                losses[name], value, rtol=RTOL, atol=ATOL, msg=name)
        total = sum(losses.values())
        expected_total = sum(expected.values())
        torch.testing.assert_close(
            total, expected_total, rtol=RTOL, atol=ATOL)
        total.backward()
        expected_total.backward()
        grads = convert_official_state_dict(
            {
                key: (torch.zeros_like(value)
                      if value.grad is None else value.grad)
                for key, value in official.items()
            },
            torch.float64,
            layouts=OFFICIAL_AVVP_LAYOUTS)
        for name, param in model.named_parameters():
            self.assertTrue(torch.isfinite(param.grad).all(), name)
            torch.testing.assert_close(
                param.grad, grads[name], rtol=RTOL, atol=ATOL, msg=name)
        return losses

    def test_training_losses_and_gradients(self):
        self._check_training(WEAK_CLASSES)


class TestPSPMMILParity(_AVVPParity, TestCase):

    arch = 'psp_mmil'
    threshold = 0.090

    def reference(self, state):
        return ref.psp_mmil_forward(state, self.audio, self.visual,
                                    self.visual_st, self.threshold)

    def _expected_losses(self, reference, weak_label):
        expected = ref.bce_terms(reference, weak_label)
        expected['loss_seg'] = ref.segment_loss(reference['audio_feats'],
                                                reference['visual_inputs'])
        vcon = ref.vcon_loss(reference['mmil_inputs'], weak_label, 0.9, 0.2)
        # A dropped term is reported as 0.
        expected['loss_vcon'] = (
            torch.zeros((), dtype=torch.float64) if vcon is None else vcon)
        return expected

    def test_training_losses_and_gradients(self):
        losses = self._check_training(WEAK_CLASSES)
        self.assertGreater(losses['loss_vcon'].item(), 0)

    def test_batch_without_negatives_drops_vcon(self):
        losses = self._check_training(NO_NEGATIVE_CLASSES)
        self.assertEqual(losses['loss_vcon'].item(), 0)

    def test_psp_threshold_matters(self):
        # The weights are pruned at the config's 0.090: the reference at
        # another threshold disagrees, so the test above checks it.
        model = self._model()
        with torch.no_grad():
            frame_probs = model(self._inputs(), mode='tensor')[0]
        other = self.reference_at(0.2)['frame_probs']
        self.assertGreater((frame_probs - other).abs().max().item(), 1e-6)

    def reference_at(self, threshold):
        return ref.psp_mmil_forward(self.official, self.audio, self.visual,
                                    self.visual_st, threshold)


class TestHANParity(_AVVPParity, TestCase):

    arch = 'han'

    def reference(self, state):
        return ref.han_forward(state, self.audio, self.visual,
                               self.visual_st)

    def _expected_losses(self, reference, weak_label):
        return ref.bce_terms(reference, weak_label)
