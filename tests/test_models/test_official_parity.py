"""mmcpsp against an independent float64 reference, on converted weights.

Random weights under the official key names (``module.`` prefix, float64,
unused modules included) are converted once by the command-line tool, loaded
as ``load_from`` would, and the model must reproduce the reference's
outputs, loss terms, totals and gradients.
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

from mmcpsp.models.utils import convert_official_state_dict
from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    GT_VIDEO_LABEL,
    PRED_SEGMENT_LABELS,
)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTER = osp.join(REPO_ROOT, 'tools', 'model_converters',
                     'convert_official_cpsp.py')
_spec = importlib.util.spec_from_file_location(
    'reference_cpsp', osp.join(osp.dirname(__file__), 'reference_cpsp.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

NUM_CLASSES = 28
ATOL = 1e-10
RTOL = 1e-8



def _model_from_config(name: str) -> dict:
    """The model of a config of configs/, switched to float64."""
    model = Config.fromfile(osp.join(REPO_ROOT, 'configs', name)).model
    model.precision = 'float64'
    return model


CPSP_FULLY = _model_from_config('cpsp_fully_ave.py')
CPSP_WEAKLY = _model_from_config('cpsp_weakly_ave.py')
SSPSP_FULLY = _model_from_config('sspsp_fully_ave.py')

# Class per segment (background = 28), T = 5 to keep the test fast: a
# partial event; an all-event video (no background); an all-background video
# (class 0); two more classes, so that the first video has 3 negatives and
# its video-level loss is active.
SEGMENT_LABELS = [
    [28, 3, 3, 3, 28],
    [3] * 5,
    [28] * 5,
    [7] * 3 + [28] * 2,
    [28] * 2 + [5] * 3,
]
# Weak labels of the same videos; 28 marks a background-only video.
VIDEO_LABELS = [3, 3, 28, 7, 5]


def _segment_samples():
    samples = []
    for labels in SEGMENT_LABELS:
        sample = ActionDataSample()
        sample.set_field(
            torch.tensor(labels), GT_SEGMENT_LABELS, dtype=torch.Tensor)
        samples.append(sample)
    return samples


def _video_samples():
    samples = []
    for label in VIDEO_LABELS:
        sample = ActionDataSample()
        sample.set_field(
            torch.tensor(label), GT_VIDEO_LABEL, dtype=torch.Tensor)
        samples.append(sample)
    return samples


class TestOfficialParity(TestCase):

    @classmethod
    def setUpClass(cls):
        cls.official = ref.random_official_state_dict(seed=0)
        generator = torch.Generator().manual_seed(1)
        batch_size, num_segments = torch.tensor(SEGMENT_LABELS).shape
        cls.audio = torch.randn(
            batch_size,
            num_segments,
            128,
            generator=generator,
            dtype=torch.float64)
        cls.visual = torch.rand(
            batch_size,
            num_segments,
            7,
            7,
            512,
            generator=generator,
            dtype=torch.float64)
        cls.tmp_dir = tempfile.TemporaryDirectory()
        src = osp.join(cls.tmp_dir.name, 'cpsp_official.pth')
        cls.converted_path = osp.join(cls.tmp_dir.name, 'cpsp_mmcpsp.pth')
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

    def _model(self, cfg):
        self.assertEqual(self.converter_run.returncode, 0,
                         self.converter_run.stderr)
        model = MODELS.build(cfg).eval()
        load_checkpoint(model, self.converted_path, strict=True)
        return model

    def _reference(self, threshold, official=None):
        return ref.reference_forward(official or self.official, self.audio,
                                     self.visual, threshold)

    def _assert_grads_match(self, model, official):
        # A tensor that the loss does not reach has no gradient on either
        # side: compare it as zeros.
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

    def _official_leaves(self):
        return {
            key: value.clone().requires_grad_(True)
            for key, value in self.official.items()
        }

    def test_tool_and_function_agree(self):
        self.assertEqual(self.converter_run.returncode, 0,
                         self.converter_run.stderr)
        checkpoint = torch.load(self.converted_path, weights_only=True)
        self.assertEqual(checkpoint['meta']['dtype'], 'float64')
        expected = convert_official_state_dict(
            self.official, dtype=torch.float64)
        self.assertEqual(list(checkpoint['state_dict']), list(expected))
        for key, value in expected.items():
            self.assertTrue(torch.equal(checkpoint['state_dict'][key], value))
        model = MODELS.build(CPSP_FULLY)
        self.assertEqual(set(model.state_dict()), set(expected))

    def test_cpsp_fully_supervised(self):
        model = self._model(CPSP_FULLY)
        inputs = dict(audio=self.audio, visual=self.visual)
        event_logits, category_logits = model(inputs, mode='tensor')
        official = self._official_leaves()
        reference = self._reference(0.099, official)
        torch.testing.assert_close(
            event_logits, reference['event_logits'], rtol=RTOL, atol=ATOL)
        torch.testing.assert_close(
            category_logits,
            reference['category_logits'],
            rtol=RTOL,
            atol=ATOL)

        losses = model(inputs, _segment_samples(), mode='loss')
        y = ref.one_hot_segment_labels(SEGMENT_LABELS, NUM_CLASSES)
        events, classes = ref.targets_from_one_hot(y)
        expected = dict(
            loss_cls=ref.fully_cls_loss(reference['event_logits'],
                                        reference['category_logits'],
                                        events, classes),
            loss_avpsp=100 * ref.avpsp_loss(reference['visual_out'],
                                            reference['audio_out'], events),
            loss_spsa=0.01 * ref.spsa_loss(reference['fused'], events, 0.6),
            loss_vpsa=ref.vpsa_loss(reference['fused'], classes, 0.2, 3))
        self.assertEqual(set(losses), set(expected))
        for name, value in expected.items():
            torch.testing.assert_close(
                losses[name], value, rtol=RTOL, atol=ATOL, msg=name)
        self.assertGreater(expected['loss_vpsa'].item(), 0)
        self.assertGreater(expected['loss_spsa'].item(), 0)

        total = sum(value for key, value in losses.items() if 'loss' in key)
        expected_total = sum(expected.values())
        torch.testing.assert_close(
            total, expected_total, rtol=RTOL, atol=ATOL)
        total.backward()
        expected_total.backward()
        self._assert_grads_match(model, official)

    def test_cpsp_weakly_supervised(self):
        model = self._model(CPSP_WEAKLY)
        official = self._official_leaves()
        reference = self._reference(0.095, official)
        losses = model(
            dict(audio=self.audio, visual=self.visual),
            _video_samples(),
            mode='loss')
        weak_label = ref.one_hot_segment_labels([VIDEO_LABELS],
                                                NUM_CLASSES)[0, :, :-1]
        video_prob = ref.weak_video_prob(reference['event_logits'],
                                         reference['category_logits'])
        # The published rule: an all-zero weak label (a background-only
        # video) gives class 0, its argmax.
        classes = [
            int(row.argmax()) if row.sum() > 0 else 0 for row in weak_label
        ]
        expected = dict(
            loss_cls=ref.weakly_cls_loss(video_prob, weak_label),
            loss_vpsa=ref.vpsa_loss(reference['fused'], classes, 0.6, 4))
        self.assertEqual(set(losses), set(expected))
        for name, value in expected.items():
            torch.testing.assert_close(
                losses[name], value, rtol=RTOL, atol=ATOL, msg=name)
        self.assertGreater(expected['loss_vpsa'].item(), 0)
        total = sum(losses.values())
        total.backward()
        sum(expected.values()).backward()
        self._assert_grads_match(model, official)

    def test_sspsp(self):
        model = self._model(SSPSP_FULLY)
        official = self._official_leaves()
        reference = self._reference(0.099, official)
        losses = model(
            dict(audio=self.audio, visual=self.visual),
            _segment_samples(),
            mode='loss')
        expected = ref.sspsp_loss(reference['audio_out'],
                                  reference['visual_out'], 0.1)
        torch.testing.assert_close(
            losses['loss_sspsp'], expected, rtol=RTOL, atol=ATOL)
        losses['loss_sspsp'].backward()
        expected.backward()
        self._assert_grads_match(model, official)

    def test_predictions(self):
        model = self._model(CPSP_FULLY)
        reference = self._reference(0.099)
        with torch.no_grad():
            predictions = model(
                dict(audio=self.audio, visual=self.visual), mode='predict')
        for index, prediction in enumerate(predictions):
            is_event = torch.sigmoid(reference['event_logits'][index]) > 0.5
            video_class = int(reference['category_logits'][index].argmax())
            expected = [video_class if event else NUM_CLASSES
                        for event in is_event.tolist()]
            self.assertEqual(
                prediction.get(PRED_SEGMENT_LABELS).tolist(), expected)
