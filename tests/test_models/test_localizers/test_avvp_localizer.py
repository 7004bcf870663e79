"""The two video parsing models of the base configs, end to end."""
import os.path as osp
from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from mmcpsp.registry import MODELS
from mmcpsp.structures import GT_WEAK_LABEL

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
#: Base config -> parameters, all used by the forward pass (avvp.md 4, 5).
PARAMETER_COUNTS = dict(psp_mmil=6_668_875, han=4_569_675)


def _model_cfg(arch, precision='float32'):
    model = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'models',
                 f'{arch}.py')).model
    model.precision = precision
    return model


def _batch(classes):
    """Float32 features per video, as the dataset packs them."""
    samples = []
    for names in classes:
        label = torch.zeros(25)
        label[names] = 1
        sample = ActionDataSample()
        sample.set_field(label, GT_WEAK_LABEL, dtype=torch.Tensor)
        samples.append(sample)
    return dict(
        inputs=dict(
            audio=[torch.randn(10, 128) for _ in classes],
            visual=[torch.rand(10, 8, 2048) for _ in classes],
            visual_st=[torch.rand(10, 512) for _ in classes]),
        data_samples=samples)


class TestAVVPModels(TestCase):

    def test_configs(self):
        psp_mmil = _model_cfg('psp_mmil')
        self.assertEqual(psp_mmil.neck.threshold, 0.090)
        self.assertEqual(psp_mmil.head.filter_by, 'modality')
        self.assertEqual(
            (psp_mmil.head.loss_vcon.ratio, psp_mmil.head.loss_vcon.eta,
             psp_mmil.head.loss_vcon.loss_weight), (0.9, 0.2, 1.0))
        han = _model_cfg('han')
        self.assertEqual(han.head.filter_by, 'global')
        self.assertNotIn('loss_seg', han.head)
        self.assertNotIn('loss_vcon', han.head)

    def test_parameter_counts_and_initialisation(self):
        for arch, count in PARAMETER_COUNTS.items():
            with self.subTest(arch=arch):
                model = MODELS.build(_model_cfg(arch))
                self.assertEqual(
                    sum(param.numel() for param in model.parameters()),
                    count)
                # The runner's init_weights() keeps the construction's.
                before = {
                    key: value.clone()
                    for key, value in model.state_dict().items()
                }
                model.init_weights()
                for key, value in model.state_dict().items():
                    self.assertTrue(torch.equal(before[key], value), key)

    def test_trains_and_predicts_in_float64(self):
        classes = [[0], [0, 3], [5], [3, 7]]
        for arch in PARAMETER_COUNTS:
            with self.subTest(arch=arch):
                torch.manual_seed(0)
                model = MODELS.build(_model_cfg(arch, 'float64'))
                self.assertTrue(
                    all(param.dtype == torch.float64
                        for param in model.parameters()))
                optim_wrapper = OptimWrapper(
                    torch.optim.Adam(model.parameters(), lr=3e-4))
                data = _batch(classes)
                log_vars = [
                    model.train_step(data, optim_wrapper) for _ in range(3)
                ]
                expected_terms = {'loss_audio', 'loss_visual', 'loss_global'}
                if arch == 'psp_mmil':
                    expected_terms |= {'loss_seg', 'loss_vcon'}
                for step in log_vars:
                    self.assertEqual(set(step) - {'loss'}, expected_terms)
                    self.assertTrue(torch.isfinite(step['loss']))
                    self.assertEqual(step['loss'].dtype, torch.float64)
                self.assertLess(log_vars[-1]['loss'].item(),
                                log_vars[0]['loss'].item())
                predictions = model.val_step(data)
                self.assertEqual(len(predictions), 4)
                for sample in predictions:
                    for key in ('audio', 'visual'):
                        self.assertEqual(sample.get(f'pred_{key}').dtype,
                                         torch.float64)
                        self.assertEqual(
                            sample.get(f'pred_{key}').shape, (10, 25))
                        labels = sample.get(f'pred_{key}_labels')
                        self.assertEqual(labels.shape, (10, 25))
                        self.assertTrue(
                            set(labels.unique().tolist()) <= {0, 1})
                    for key in ('global', 'audio_global', 'visual_global'):
                        self.assertEqual(
                            sample.get(f'pred_{key}').shape, (25, ))
