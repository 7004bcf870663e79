from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


def _sequences(batch_size=2, num_segments=10, channels=512, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch_size, num_segments, channels, generator=generator,
                    dtype=torch.float64) for _ in range(2))


class TestPSPMMILNeck(TestCase):

    def test_structure(self):
        neck = MODELS.build(dict(type='PSPMMILNeck', threshold=0.090))
        for lstm in (neck.audio_lstm, neck.visual_lstm):
            self.assertEqual(
                (lstm.input_size, lstm.hidden_size, lstm.num_layers,
                 lstm.batch_first, lstm.bidirectional),
                (512, 256, 1, True, True))
        self.assertEqual(neck.psp.channels, 512)
        self.assertEqual(neck.psp.threshold, 0.090)
        self.assertEqual(neck.psp.dropout.p, 0.1)
        self.assertEqual(neck.psp.layer_norm.eps, 1e-6)
        self.assertEqual(MODELS.build(dict(type='PSPMMILNeck')).psp.threshold,
                         0.099)
        # Two BiLSTMs and the PSP module (six projections, one LayerNorm).
        self.assertEqual(
            sum(param.numel() for param in neck.parameters()),
            2 * 2 * (4 * 256 * (512 + 256) + 2 * 4 * 256) +
            6 * 512 * 512 + 2 * 512)

    def test_lstm_then_psp(self):
        neck = MODELS.build(dict(type='PSPMMILNeck')).double().eval()
        audio_inputs, visual_inputs = _sequences()
        audio_feats, visual_feats, visual_out_inputs = neck(
            audio_inputs, visual_inputs)
        self.assertIs(visual_out_inputs, visual_inputs)
        audio_seq = neck.audio_lstm(audio_inputs)[0]
        visual_seq = neck.visual_lstm(visual_inputs)[0]
        _, expected_visual, expected_audio = neck.psp(audio_seq, visual_seq)
        torch.testing.assert_close(audio_feats, expected_audio)
        torch.testing.assert_close(visual_feats, expected_visual)
        self.assertEqual(audio_feats.shape, (2, 10, 512))

    def test_eval_is_batch_independent_training_is_not_deterministic(self):
        neck = MODELS.build(dict(type='PSPMMILNeck')).double().eval()
        audio_inputs, visual_inputs = _sequences(batch_size=3)
        batch = neck(audio_inputs, visual_inputs)
        single = neck(audio_inputs[1:2], visual_inputs[1:2])
        torch.testing.assert_close(batch[0][1:2], single[0])
        neck.train()
        first = neck(audio_inputs, visual_inputs)[0]
        second = neck(audio_inputs, visual_inputs)[0]
        self.assertFalse(torch.equal(first, second))

    def test_odd_channels(self):
        with self.assertRaisesRegex(ValueError, 'odd'):
            MODELS.build(dict(type='PSPMMILNeck', channels=5))
