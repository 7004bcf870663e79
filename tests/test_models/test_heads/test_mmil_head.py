import math
from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample

from mmcpsp.registry import MODELS
from mmcpsp.structures import GT_WEAK_LABEL

NUM_CLASSES = 3
CHANNELS = 4


def _head(**kwargs):
    cfg = dict(type='MMILHead', num_classes=NUM_CLASSES, in_channels=CHANNELS)
    cfg.update(kwargs)
    return MODELS.build(cfg).double()


def _neck_outputs(batch_size=3, num_segments=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch_size, num_segments, CHANNELS, generator=generator,
                    dtype=torch.float64) for _ in range(3))


def _samples(classes):
    samples = []
    for names in classes:
        label = torch.zeros(NUM_CLASSES)
        label[names] = 1
        sample = ActionDataSample()
        sample.set_field(label, GT_WEAK_LABEL, dtype=torch.Tensor)
        samples.append(sample)
    return samples


class TestMMILHead(TestCase):

    def test_contract(self):
        head = _head()
        self.assertEqual(head.task, 'avvp')
        self.assertEqual(head.segment_score_keys, ('audio', 'visual'))
        self.assertEqual(head.video_score_keys,
                         ('global', 'audio_global', 'visual_global'))
        self.assertEqual(head.label_keys, ('audio_labels', 'visual_labels'))
        self.assertEqual(head.filter_by, 'modality')
        default = MODELS.build(dict(type='MMILHead'))
        self.assertEqual((default.num_classes, default.in_channels),
                         (25, 512))
        with self.assertRaisesRegex(ValueError, 'filter_by'):
            _head(filter_by='video')

    def test_pooling_by_hand(self):
        # Zero weights: every logit is its bias. Frame logit 0 -> p = 1/2;
        # equal temporal logits -> w = 1/T; equal modality logits -> u = 1/2.
        head = _head()
        with torch.no_grad():
            for layer in (head.frame_classifier, head.temporal_attention,
                          head.modality_attention):
                layer.weight.zero_()
                layer.bias.zero_()
            head.frame_classifier.bias.copy_(
                torch.tensor([0., math.log(3), -math.log(3)]))
        frame_probs, global_probs, audio_global, visual_global = head(
            _neck_outputs(num_segments=4))
        probs = torch.tensor([0.5, 0.75, 0.25], dtype=torch.float64)
        self.assertEqual(frame_probs.shape, (3, 4, 2, NUM_CLASSES))
        torch.testing.assert_close(frame_probs,
                                   probs.expand(3, 4, 2, NUM_CLASSES))
        # g_a = sum_t w p = p; g = sum_{t, m} w p u = p.
        torch.testing.assert_close(audio_global, probs.expand(3, -1))
        torch.testing.assert_close(visual_global, probs.expand(3, -1))
        torch.testing.assert_close(global_probs, probs.expand(3, -1))

    def test_pooling_formula(self):
        head = _head()
        audio_feats, visual_feats, _ = feats = _neck_outputs()
        frame_probs, global_probs, audio_global, visual_global = head(feats)
        x = torch.stack([audio_feats, visual_feats], dim=2)
        w = torch.softmax(head.temporal_attention(x), dim=1)
        u = torch.softmax(head.modality_attention(x), dim=2)
        p = torch.sigmoid(head.frame_classifier(x))
        torch.testing.assert_close(frame_probs, p)
        torch.testing.assert_close(global_probs, (w * p * u).sum(dim=(1, 2)))
        torch.testing.assert_close(audio_global, (w * p)[:, :, 0].sum(dim=1))
        torch.testing.assert_close(visual_global,
                                   (w * p)[:, :, 1].sum(dim=1))
        # Only the first two neck outputs reach the scores.
        other = (audio_feats, visual_feats, torch.zeros_like(audio_feats))
        torch.testing.assert_close(head(other)[1], global_probs)

    def _scores(self):
        # One video, T = 2, C = 3, every score per segment.
        audio = torch.tensor([[[0.5, 0.7, 0.2], [0.49, 0.9, 0.6]]])
        visual = torch.tensor([[[0.8, 0.1, 0.5], [0.5, 0.6, 0.4]]])

        def per_segment(values):
            return torch.tensor(values).expand(1, 2, 3)

        return dict(
            audio=audio,
            visual=visual,
            **{
                'global': per_segment([0.5, 0.2, 0.9]),
                'audio_global': per_segment([0.6, 0.4999, 0.5]),
                'visual_global': per_segment([0.3, 0.5, 0.7])
            })

    def test_rule_filter_by_modality(self):
        labels = _head().predict_labels(self._scores())
        # Audio filtered by g_a: class 1 fails (0.4999), classes 0 and 2
        # pass (>= 0.5 includes 0.5).
        self.assertEqual(labels['audio_labels'].tolist(),
                         [[[1, 0, 0], [0, 0, 1]]])
        # Visual filtered by g_v: class 0 fails (0.3).
        self.assertEqual(labels['visual_labels'].tolist(),
                         [[[0, 0, 1], [0, 1, 0]]])
        self.assertEqual(labels['audio_labels'].dtype, torch.long)

    def test_rule_filter_by_global(self):
        labels = _head(filter_by='global').predict_labels(self._scores())
        # Both filtered by g: class 1 fails (0.2).
        self.assertEqual(labels['audio_labels'].tolist(),
                         [[[1, 0, 0], [0, 0, 1]]])
        self.assertEqual(labels['visual_labels'].tolist(),
                         [[[1, 0, 1], [1, 0, 0]]])

    def test_predict_any_number_of_segments(self):
        for filter_by in ('modality', 'global'):
            head = _head(filter_by=filter_by)
            for num_segments in (1, 7, 10):
                feats = _neck_outputs(batch_size=2, num_segments=num_segments)
                scores = head.predict_scores(feats)
                samples = head.predict(feats)
                self.assertEqual(len(samples), 2)
                expanded = head.expand_scores(scores, num_segments)
                for key in head.score_keys:
                    self.assertEqual(expanded[key].shape,
                                     (2, num_segments, NUM_CLASSES))
                labels = head.predict_labels(expanded)
                for index, sample in enumerate(samples):
                    for key in ('audio', 'visual'):
                        self.assertEqual(
                            sample.get(f'pred_{key}').shape,
                            (num_segments, NUM_CLASSES))
                        self.assertTrue(
                            torch.equal(
                                sample.get(f'pred_{key}_labels'),
                                labels[f'{key}_labels'][index]))
                    for key in head.video_score_keys:
                        torch.testing.assert_close(
                            sample.get(f'pred_{key}'), scores[key][index])

    def test_loss_terms(self):
        head = _head(
            loss_seg=dict(type='SegmentContrastLoss', loss_weight=0.5),
            loss_vcon=dict(type='VconInfoLoss', ratio=0.9, eta=0.2))
        audio_feats, visual_feats, visual_inputs = feats = _neck_outputs()
        samples = _samples([[0], [1], [0, 2]])
        losses = head.loss(feats, samples)
        self.assertEqual(
            set(losses), {
                'loss_audio', 'loss_visual', 'loss_global', 'loss_seg',
                'loss_vcon'
            })
        _, global_probs, audio_global, visual_global = head(feats)
        weak_label = torch.stack(
            [sample.gt_weak_label for sample in samples]).double()
        expected = head.loss_bce(global_probs, audio_global, visual_global,
                                 weak_label)
        for name, value in expected.items():
            torch.testing.assert_close(losses[name], value)
        # L_seg: audio features (Ao) against the visual inputs (V0).
        torch.testing.assert_close(
            losses['loss_seg'], head.loss_seg(audio_feats, visual_inputs))
        self.assertFalse(
            torch.allclose(losses['loss_seg'],
                           head.loss_seg(audio_feats, visual_feats)))
        torch.testing.assert_close(
            losses['loss_vcon'],
            head.loss_vcon(head.mmil_inputs(feats), weak_label))
        self.assertGreater(losses['loss_vcon'].item(), 0)
        sum(losses.values()).backward()

    def test_default_loss_is_bce_only(self):
        head = _head()
        self.assertIsNone(head.loss_seg)
        self.assertIsNone(head.loss_vcon)
        losses = head.loss(_neck_outputs(), _samples([[0], [1], [2]]))
        self.assertEqual(set(losses),
                         {'loss_audio', 'loss_visual', 'loss_global'})

    def test_loss_needs_the_weak_label(self):
        with self.assertRaisesRegex(ValueError, 'gt_weak_label'):
            _head().loss(_neck_outputs(), [ActionDataSample()] * 3)
