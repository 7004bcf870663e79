import math
from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample

from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    GT_VIDEO_LABEL,
    PRED_CATEGORY_SCORES,
    PRED_EVENT_SCORES,
    PRED_SEGMENT_LABELS,
)

NUM_CLASSES = 3


def _segment_samples(labels):
    samples = []
    for row in labels:
        sample = ActionDataSample()
        sample.set_field(
            torch.tensor(row), GT_SEGMENT_LABELS, dtype=torch.Tensor)
        samples.append(sample)
    return samples


def _video_samples(labels):
    samples = []
    for label in labels:
        sample = ActionDataSample()
        sample.set_field(
            torch.tensor(label), GT_VIDEO_LABEL, dtype=torch.Tensor)
        samples.append(sample)
    return samples


def _head(**kwargs):
    cfg = dict(type='CPSPHead', num_classes=NUM_CLASSES, in_channels=4)
    cfg.update(kwargs)
    return MODELS.build(cfg).double()


def _neck_outputs(batch_size=3, num_segments=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch_size, num_segments, 4, generator=generator,
                    dtype=torch.float64) for _ in range(3))


class TestCPSPHead(TestCase):

    def test_forward(self):
        head = _head()
        fused = _neck_outputs()[0]
        event_logits, category_logits = head(fused)
        self.assertEqual(event_logits.shape, (3, 4))
        self.assertEqual(category_logits.shape, (3, NUM_CLASSES))
        torch.testing.assert_close(
            category_logits, head.category_classifier(fused.mean(dim=1)))
        torch.testing.assert_close(event_logits,
                                   head.event_classifier(fused)[..., 0])

    def test_video_prob_by_hand(self):
        # sigmoid(event_logits) = [0.5, 0.75]; category logits [2, -2]:
        # max_t of the product is 1.5 for class 0 and -1.0 for class 1.
        event_logits = torch.tensor([[0., math.log(3)]], dtype=torch.float64)
        category_logits = torch.tensor([[2., -2.]], dtype=torch.float64)
        prob = _head().video_prob(event_logits, category_logits)
        p0 = 1 / (1 + math.exp(-2.5))
        torch.testing.assert_close(
            prob, torch.tensor([[p0, 1 - p0]], dtype=torch.float64))

    def test_prediction_rule_is_strict(self):
        head = _head()
        event_scores = torch.sigmoid(
            torch.tensor([[0., 1e-6, -1e-6, 5.]], dtype=torch.float64))
        category_scores = torch.softmax(
            torch.tensor([[0.1, 0.9, 0.3]], dtype=torch.float64), dim=-1)
        labels = head.predict_labels(
            head.expand_scores(
                dict(event_scores=event_scores,
                     category_scores=category_scores), 4))['segment_labels']
        # sigmoid(0) = 0.5 exactly is not above 0.5: background (C = 3).
        self.assertEqual(labels.tolist(), [[3, 1, 3, 1]])
        self.assertEqual(labels.dtype, torch.long)

    def test_prediction_rule_reads_categories_per_segment(self):
        # Merged windows give each segment its own category scores.
        head = _head()
        labels = head.predict_labels(
            dict(
                event_scores=torch.tensor([[0.9, 0.9, 0.2]]),
                category_scores=torch.tensor([[[0.7, 0.2, 0.1],
                                               [0.1, 0.1, 0.8],
                                               [0.1, 0.8, 0.1]]])))
        self.assertEqual(labels['segment_labels'].tolist(), [[0, 2, 3]])

    def test_predict_fills_the_data_samples(self):
        head = _head()
        neck_outputs = _neck_outputs(batch_size=2)
        samples = _segment_samples([[0, 0, 3, 3], [3, 3, 3, 3]])
        samples[0].set_metainfo(dict(video_id='abc'))
        predictions = head.predict(neck_outputs, samples)
        event_logits, category_logits = head(neck_outputs[0])
        self.assertEqual(len(predictions), 2)
        for index, prediction in enumerate(predictions):
            self.assertIsInstance(prediction, ActionDataSample)
            torch.testing.assert_close(
                prediction.get(PRED_EVENT_SCORES),
                torch.sigmoid(event_logits[index]).detach())
            torch.testing.assert_close(
                prediction.get(PRED_CATEGORY_SCORES),
                torch.softmax(category_logits[index], dim=-1).detach())
            expected = torch.where(
                torch.sigmoid(event_logits[index]) > 0.5,
                category_logits[index].argmax(), 3)
            self.assertEqual(
                prediction.get(PRED_SEGMENT_LABELS).tolist(),
                expected.tolist())
        self.assertEqual(predictions[0].gt_segment_labels.tolist(),
                         [0, 0, 3, 3])
        self.assertEqual(predictions[0].video_id, 'abc')

    def test_predict_without_data_samples(self):
        predictions = _head().predict(_neck_outputs(batch_size=3))
        self.assertEqual(len(predictions), 3)
        self.assertEqual(predictions[2].get(PRED_SEGMENT_LABELS).shape, (4, ))

    def test_fully_supervised_loss_terms(self):
        head = _head(
            loss_avpsp=dict(type='AVPSPLoss'),
            loss_spsa=dict(type='SegmentPSALoss'),
            loss_vpsa=dict(type='VideoPSALoss', margin=5., topk=1),
            loss_sspsp=dict(type='SSPSPLoss'))
        fused, visual_out, audio_out = _neck_outputs()
        # Video 2 is all background: its class is 0, like the first video.
        samples = _segment_samples([[3, 0, 0, 3], [2, 2, 2, 2], [3, 3, 3, 3]])
        losses = head.loss((fused, visual_out, audio_out), samples)
        self.assertEqual(
            set(losses),
            {'loss_cls', 'loss_avpsp', 'loss_spsa', 'loss_vpsa',
             'loss_sspsp'})

        events = torch.tensor([[0, 1, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0]],
                              dtype=torch.bool)
        classes = torch.tensor([0, 2, 0])
        event_logits, category_logits = head(fused)
        similarity = torch.nn.functional.cosine_similarity(
            visual_out, audio_out, dim=-1)
        expected = dict(
            loss_cls=head.loss_cls(event_logits, category_logits, events,
                                   classes),
            loss_avpsp=head.loss_avpsp(similarity, events),
            loss_spsa=head.loss_spsa(fused, events),
            loss_vpsa=head.loss_vpsa(fused, classes),
            loss_sspsp=head.loss_sspsp(audio_out, visual_out))
        for name, value in expected.items():
            torch.testing.assert_close(losses[name], value, msg=name)
        self.assertGreater(losses['loss_vpsa'].item(), 0)

    def test_only_configured_terms(self):
        losses = _head().loss(_neck_outputs(),
                              _segment_samples([[0] * 4, [1] * 4, [3] * 4]))
        self.assertEqual(set(losses), {'loss_cls'})

    def test_weakly_supervised_loss_terms(self):
        published = _head(
            supervision='weakly',
            loss_vpsa=dict(type='VideoPSALoss', margin=5., topk=1))
        fused = _neck_outputs()[0]
        # As published: an all-zero weak label is class 0 for L_vpsa.
        torch.testing.assert_close(
            published.loss(_neck_outputs(),
                           _video_samples([2, 0, 3]))['loss_vpsa'],
            published.loss_vpsa(fused, torch.tensor([2, 0, 0])))
        head = _head(
            supervision='weakly',
            background_own_class=True,
            loss_vpsa=dict(type='VideoPSALoss', margin=5., topk=1))
        self.assertEqual(type(head.loss_cls).__name__, 'AVELWeaklyClsLoss')
        fused, visual_out, audio_out = _neck_outputs()
        # Video 2 is a background-only (noisy) video: all-zero weak label,
        # and a class of its own (3), not class 0, for the video-level loss.
        losses = head.loss((fused, visual_out, audio_out),
                           _video_samples([2, 0, 3]))
        self.assertEqual(set(losses), {'loss_cls', 'loss_vpsa'})
        event_logits, category_logits = head(fused)
        weak_label = torch.tensor([[0, 0, 1], [1, 0, 0], [0, 0, 0]])
        torch.testing.assert_close(
            losses['loss_cls'],
            head.loss_cls(head.video_prob(event_logits, category_logits),
                          weak_label))
        torch.testing.assert_close(
            losses['loss_vpsa'], head.loss_vpsa(fused, torch.tensor([2, 0,
                                                                     3])))
        # With class 0 it would pair videos 1 and 2 as positives.
        self.assertFalse(
            torch.allclose(losses['loss_vpsa'],
                           head.loss_vpsa(fused, torch.tensor([2, 0, 0]))))

    def test_weakly_supervised_mil_loss(self):
        head = _head(
            supervision='weakly', loss_mil=dict(type='EventMILLoss',
                                                loss_weight=0.5))
        neck_outputs = _neck_outputs()
        losses = head.loss(neck_outputs, _video_samples([2, 3, 0]))
        self.assertEqual(set(losses), {'loss_cls', 'loss_mil'})
        event_logits, _ = head(neck_outputs[0])
        video_probs = torch.sigmoid(event_logits).max(dim=1).values
        targets = torch.tensor([1., 0., 1.], dtype=torch.float64)
        expected = -(targets * video_probs.log() +
                     (1 - targets) * (1 - video_probs).log()).mean()
        torch.testing.assert_close(losses['loss_mil'], 0.5 * expected)

    def test_missing_labels(self):
        with self.assertRaisesRegex(ValueError, 'gt_segment_labels'):
            _head().loss(_neck_outputs(), _video_samples([0, 1, 2]))
        with self.assertRaisesRegex(ValueError, 'gt_video_label'):
            _head(supervision='weakly').loss(
                _neck_outputs(), _segment_samples([[0] * 4] * 3))

    def test_invalid_configurations(self):
        with self.assertRaisesRegex(ValueError, 'supervision'):
            _head(supervision='semi')
        with self.assertRaisesRegex(ValueError, 'loss_avpsp'):
            _head(supervision='weakly', loss_avpsp=dict(type='AVPSPLoss'))
        with self.assertRaisesRegex(ValueError, 'loss_spsa'):
            _head(supervision='weakly', loss_spsa=dict(type='SegmentPSALoss'))
        with self.assertRaisesRegex(ValueError, 'loss_mil'):
            _head(loss_mil=dict(type='EventMILLoss'))
