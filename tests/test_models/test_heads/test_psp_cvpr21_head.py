from unittest import TestCase

import torch
import torch.nn.functional as F
from mmaction.structures import ActionDataSample

from mmcpsp.registry import MODELS
from mmcpsp.structures import (
    GT_SEGMENT_LABELS,
    GT_VIDEO_PROB_LABEL,
    PRED_EVENT_SCORES,
    PRED_SEGMENT_LABELS,
)

NUM_CLASSES = 3


def _head(**kwargs):
    cfg = dict(type='PSPCVPR21Head', num_classes=NUM_CLASSES, in_channels=4,
               hidden_channels=5)
    cfg.update(kwargs)
    return MODELS.build(cfg).double()


def _neck_outputs(batch_size=2, num_segments=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch_size, num_segments, 4, generator=generator,
                    dtype=torch.float64) for _ in range(3))


def _samples(field, values):
    samples = []
    for value in values:
        sample = ActionDataSample()
        sample.set_field(torch.tensor(value), field, dtype=torch.Tensor)
        samples.append(sample)
    return samples


class TestPSPCVPR21Head(TestCase):

    def test_fully_supervised_forward_and_loss(self):
        head = _head(loss_avpsp=dict(type='AVPSPLoss', loss_weight=100.))
        self.assertIsNone(head.temporal_gate)
        self.assertIsNone(head.segment_hidden.bias)
        self.assertIsNone(head.segment_classifier.bias)
        fused, visual_out, audio_out = _neck_outputs()
        logits = head(fused)
        self.assertEqual(logits.shape, (2, 4, NUM_CLASSES + 1))
        torch.testing.assert_close(
            logits,
            head.segment_classifier(F.relu(head.segment_hidden(fused))))
        labels = [[3, 0, 0, 3], [1, 1, 1, 1]]
        losses = head.loss((fused, visual_out, audio_out),
                           _samples(GT_SEGMENT_LABELS, labels))
        self.assertEqual(set(losses), {'loss_cls', 'loss_avpsp'})
        torch.testing.assert_close(
            losses['loss_cls'],
            F.cross_entropy(logits.reshape(8, 4),
                            torch.tensor(labels).reshape(8)))
        events = torch.tensor(labels) != NUM_CLASSES
        torch.testing.assert_close(
            losses['loss_avpsp'],
            head.loss_avpsp(
                F.cosine_similarity(visual_out, audio_out, dim=-1), events))

    def test_weakly_supervised_gate_and_loss(self):
        head = _head(supervision='weakly')
        self.assertEqual(head.temporal_gate.weight.shape,
                         (1, NUM_CLASSES + 1))
        fused = _neck_outputs()[0]
        raw = head.segment_classifier(F.relu(head.segment_hidden(fused)))
        gate = torch.sigmoid(F.relu(raw @ head.temporal_gate.weight.t()))
        torch.testing.assert_close(head(fused), raw * gate)
        targets = [[0.6, 0., 0., 0.4], [0., 0., 0., 1.]]
        losses = head.loss(_neck_outputs(),
                           _samples(GT_VIDEO_PROB_LABEL, targets))
        self.assertEqual(set(losses), {'loss_cls'})
        video_prob = F.softmax((raw * gate).mean(dim=1), dim=-1)
        torch.testing.assert_close(
            losses['loss_cls'],
            F.binary_cross_entropy(video_prob,
                                   torch.tensor(targets,
                                                dtype=torch.float64)))

    def test_predict_argmax_over_background_too(self):
        head = _head()
        with torch.no_grad():
            head.segment_hidden.weight.copy_(torch.eye(5, 4))
            head.segment_classifier.weight.copy_(torch.eye(4, 5))
        # ReLU(F) is the logits: segment 0 -> class 2, 1 -> background (3).
        fused = torch.tensor([[[0., 1., 2., 0.], [0., 0., 1., 3.]]],
                             dtype=torch.float64)
        prediction = head.predict((fused, fused, fused))[0]
        self.assertEqual(prediction.get(PRED_SEGMENT_LABELS).tolist(),
                         [2, 3])
        probs = F.softmax(fused[0], dim=-1)
        torch.testing.assert_close(
            prediction.get(PRED_EVENT_SCORES), 1 - probs[:, 3])
        # The C + 1 probabilities of every segment, from which the rule's
        # argmax is recovered (the sliding window averages them).
        torch.testing.assert_close(prediction.pred_class_scores, probs)
        self.assertEqual(
            head.predict_labels(dict(class_scores=probs[None]))
            ['segment_labels'].tolist(), [[2, 3]])

    def test_invalid(self):
        with self.assertRaisesRegex(ValueError, 'supervision'):
            _head(supervision='semi')
        with self.assertRaisesRegex(ValueError, 'loss_avpsp'):
            _head(supervision='weakly', loss_avpsp=dict(type='AVPSPLoss'))
        with self.assertRaisesRegex(ValueError, 'gt_video_prob_label'):
            _head(supervision='weakly').loss(
                _neck_outputs(), _samples(GT_SEGMENT_LABELS, [[0] * 4] * 2))
        with self.assertRaisesRegex(ValueError, 'gt_segment_labels'):
            _head().loss(_neck_outputs(),
                         _samples(GT_VIDEO_PROB_LABEL, [[1., 0, 0, 0]] * 2))
