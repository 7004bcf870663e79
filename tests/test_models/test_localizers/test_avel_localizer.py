from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample
from mmengine.optim import OptimWrapper

from mmcpsp.registry import MODELS
from mmcpsp.structures import GT_SEGMENT_LABELS, PRED_SEGMENT_LABELS


def cpsp_fully_cfg(precision='float32', num_classes=28, **backbone):
    return dict(
        type='AVELLocalizer',
        backbone=dict(type='AVGAEncoder', **backbone),
        neck=dict(type='PSPNeck', threshold=0.099),
        head=dict(
            type='CPSPHead',
            num_classes=num_classes,
            supervision='fully',
            loss_cls=dict(type='AVELFullyClsLoss'),
            loss_avpsp=dict(type='AVPSPLoss', loss_weight=100.),
            loss_spsa=dict(type='SegmentPSALoss', loss_weight=0.01, tau=0.6),
            loss_vpsa=dict(
                type='VideoPSALoss', loss_weight=1., margin=0.2, topk=3)),
        precision=precision)


def _batch(batch_size=2, num_classes=28, visual_channels=512, regions=7):
    samples = []
    for index in range(batch_size):
        labels = torch.full((10, ), num_classes)
        labels[index:index + 4] = index
        sample = ActionDataSample()
        sample.set_field(labels, GT_SEGMENT_LABELS, dtype=torch.Tensor)
        samples.append(sample)
    return dict(
        inputs=dict(
            audio=[torch.randn(10, 128) for _ in range(batch_size)],
            visual=[
                torch.rand(10, regions, regions, visual_channels)
                for _ in range(batch_size)
            ]),
        data_samples=samples)


class TestAVELLocalizer(TestCase):

    def test_parameter_count_on_ave(self):
        model = MODELS.build(cpsp_fully_cfg())
        self.assertEqual(
            sum(param.numel() for param in model.parameters()), 1_537_870)

    def test_init_weights_keeps_the_published_initialisation(self):
        # The runner calls init_weights(); it must not undo the xavier
        # initialisation done at construction.
        model = MODELS.build(cpsp_fully_cfg())
        before = {k: v.clone() for k, v in model.state_dict().items()}
        model.init_weights()
        for key, value in model.state_dict().items():
            self.assertTrue(torch.equal(before[key], value), key)

    def test_modes(self):
        model = MODELS.build(cpsp_fully_cfg(visual_channels=32, num_regions=4))
        data = model.data_preprocessor(_batch(visual_channels=32, regions=2))
        event_logits, category_logits = model(data['inputs'], mode='tensor')
        self.assertEqual(event_logits.shape, (2, 10))
        self.assertEqual(category_logits.shape, (2, 28))
        losses = model(**data, mode='loss')
        self.assertEqual(
            set(losses), {'loss_cls', 'loss_avpsp', 'loss_spsa', 'loss_vpsa'})
        predictions = model(**data, mode='predict')
        self.assertEqual(len(predictions), 2)
        self.assertEqual(predictions[0].get(PRED_SEGMENT_LABELS).shape, (10, ))
        with self.assertRaisesRegex(RuntimeError, 'Invalid mode'):
            model(data['inputs'], mode='features')

    def test_precision(self):
        model = MODELS.build(cpsp_fully_cfg(precision='float64'))
        self.assertTrue(
            all(param.dtype == torch.float64
                for param in model.parameters()))
        self.assertEqual(model.data_preprocessor.dtype, torch.float64)
        with self.assertRaisesRegex(ValueError, 'precision'):
            MODELS.build(cpsp_fully_cfg(precision='float16'))

    def test_trains_in_float64(self):
        torch.manual_seed(0)
        model = MODELS.build(
            cpsp_fully_cfg(
                precision='float64', visual_channels=32, num_regions=4))
        optim_wrapper = OptimWrapper(
            torch.optim.Adam(model.parameters(), lr=1e-3),
            clip_grad=dict(max_norm=0.1))
        data = _batch(batch_size=3, visual_channels=32, regions=2)
        before = model.head.category_classifier.weight.detach().clone()
        log_vars = [model.train_step(data, optim_wrapper) for _ in range(3)]
        for step in log_vars:
            self.assertTrue(torch.isfinite(step['loss']).all())
            self.assertEqual(step['loss'].dtype, torch.float64)
        self.assertLess(log_vars[-1]['loss'].item(),
                        log_vars[0]['loss'].item())
        self.assertFalse(
            torch.equal(before, model.head.category_classifier.weight))
        self.assertEqual(model.head.category_classifier.weight.dtype,
                         torch.float64)
        predictions = model.val_step(data)
        self.assertEqual(predictions[0].get(PRED_SEGMENT_LABELS).dtype,
                         torch.long)

    def test_other_visual_features(self):
        model = MODELS.build(
            cpsp_fully_cfg(
                num_classes=141, visual_channels=1024, num_regions=4))
        data = model.data_preprocessor(
            _batch(num_classes=141, visual_channels=1024, regions=2))
        losses = model(**data, mode='loss')
        self.assertTrue(all(torch.isfinite(loss) for loss in losses.values()))
