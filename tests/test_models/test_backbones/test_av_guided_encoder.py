import math
from unittest import TestCase

import torch
import torch.nn as nn

from mmcpsp.models.backbones import AudioGuidedVisualAttention
from mmcpsp.registry import MODELS


def _xavier_bound(weight: torch.Tensor) -> float:
    fan_out, fan_in = weight.shape
    return math.sqrt(6 / (fan_in + fan_out))


class TestAudioGuidedVisualAttention(TestCase):

    def _tiny_attention(self) -> AudioGuidedVisualAttention:
        attention = AudioGuidedVisualAttention(
            audio_channels=2,
            visual_channels=2,
            hidden_channels=2,
            num_regions=2).double()
        with torch.no_grad():
            attention.visual_hidden.weight.copy_(torch.eye(2))
            attention.visual_hidden.bias.zero_()
            attention.audio_hidden.weight.copy_(torch.eye(2))
            attention.audio_hidden.bias.zero_()
            attention.visual_energy.weight.copy_(
                torch.tensor([[1., 0.], [0., 0.]]))
            attention.audio_energy.weight.copy_(
                torch.tensor([[0., 0.], [1., 0.]]))
            attention.region_score.weight.copy_(torch.tensor([[1., 1.]]))
        return attention

    def test_audio_term_is_indexed_by_region(self):
        # Regions X = [[1, 0], [0, 2]], audio e = [1, 0]: h_v = X, h_a = e,
        # visual term [[1, 0], [0, 0]], audio term [0, 1] (one per region r),
        # so E = tanh([[1, 0], [1, 1]]) and z = [tanh 1, 2 tanh 1].
        attention = self._tiny_attention()
        regions = torch.tensor([[[1., 0.], [0., 2.]]], dtype=torch.float64)
        audio = torch.tensor([[1., 0.]], dtype=torch.float64)
        alpha_1 = math.exp(math.tanh(1)) / (1 + math.exp(math.tanh(1)))
        expected = torch.tensor([[1 - alpha_1, 2 * alpha_1]],
                                dtype=torch.float64)
        torch.testing.assert_close(
            attention(audio, regions), expected, rtol=0, atol=1e-15)

    def test_weights_are_xavier_uniform_and_biases_default(self):
        torch.manual_seed(0)
        attention = AudioGuidedVisualAttention()
        for layer in (attention.audio_hidden, attention.visual_hidden,
                      attention.visual_energy, attention.audio_energy,
                      attention.region_score):
            bound = _xavier_bound(layer.weight)
            self.assertLessEqual(layer.weight.abs().max().item(), bound)
            # Uniform on [-b, b] has std b / sqrt(3).
            self.assertAlmostEqual(
                layer.weight.std().item() / (bound / math.sqrt(3)),
                1,
                delta=0.35)
        for layer in (attention.audio_hidden, attention.visual_hidden):
            bound = 1 / math.sqrt(layer.weight.shape[1])
            self.assertLessEqual(layer.bias.abs().max().item(), bound)
            self.assertGreater(layer.bias.abs().sum().item(), 0)


class TestAVGAEncoder(TestCase):

    def test_forward_shapes_and_defaults(self):
        encoder = MODELS.build(dict(type='AVGAEncoder'))
        audio = torch.randn(2, 10, 128)
        visual = torch.rand(2, 10, 7, 7, 512)
        audio_seq, visual_seq = encoder(audio, visual)
        self.assertEqual(audio_seq.shape, (2, 10, 256))
        self.assertEqual(visual_seq.shape, (2, 10, 256))
        self.assertIsInstance(encoder.audio_lstm, nn.LSTM)
        self.assertTrue(encoder.audio_lstm.bidirectional)
        self.assertTrue(encoder.audio_lstm.batch_first)
        self.assertEqual(encoder.audio_lstm.hidden_size, 128)
        for embedding in (encoder.audio_embedding, encoder.visual_embedding):
            self.assertEqual([layer.bias for layer in embedding],
                             [None, None])

    def test_matches_its_parts_from_a_zero_state(self):
        encoder = MODELS.build(
            dict(type='AVGAEncoder', visual_channels=8,
                 num_regions=4)).double()
        audio = torch.randn(2, 3, 128, dtype=torch.float64)
        visual = torch.rand(2, 3, 2, 2, 8, dtype=torch.float64)
        audio_seq, visual_seq = encoder(audio, visual)

        audio_embeds = encoder.audio_embedding[1](
            encoder.audio_embedding[0](audio))
        attended = encoder.attention(
            audio_embeds.reshape(6, 128), visual.reshape(6, 4, 8))
        visual_embeds = encoder.visual_embedding(attended.reshape(2, 3, 8))
        zeros = torch.zeros(2, 2, 128, dtype=torch.float64)
        expected_audio, _ = encoder.audio_lstm(audio_embeds, (zeros, zeros))
        expected_visual, _ = encoder.visual_lstm(visual_embeds,
                                                 (zeros, zeros))
        torch.testing.assert_close(audio_seq, expected_audio)
        torch.testing.assert_close(visual_seq, expected_visual)

    def test_other_visual_extractor(self):
        encoder = MODELS.build(
            dict(type='AVGAEncoder', visual_channels=1024, num_regions=4))
        _, visual_seq = encoder(
            torch.randn(1, 10, 128), torch.rand(1, 10, 2, 2, 1024))
        self.assertEqual(visual_seq.shape, (1, 10, 256))

    def test_wrong_number_of_regions(self):
        encoder = MODELS.build(dict(type='AVGAEncoder', num_regions=49))
        with self.assertRaisesRegex(ValueError, 'num_regions=49.*6 x 6'):
            encoder(torch.randn(1, 10, 128), torch.rand(1, 10, 6, 6, 512))

    def test_channels_first_visual_is_refused(self):
        encoder = MODELS.build(dict(type='AVGAEncoder'))
        with self.assertRaisesRegex(ValueError, 'channels-last'):
            encoder(torch.randn(1, 10, 128), torch.rand(1, 10, 512, 7, 7))

    def test_cvpr21_weakly_variant(self):
        # Raw audio into the attention and the BiLSTM, one linear visual
        # embedding with bias.
        encoder = MODELS.build(
            dict(type='AVGAEncoder', visual_channels=8, num_regions=4,
                 embed_audio=False, visual_embedding='linear')).double()
        self.assertIsInstance(encoder.audio_embedding, nn.Identity)
        self.assertIsInstance(encoder.visual_embedding, nn.Linear)
        self.assertEqual(encoder.visual_embedding.bias.shape, (128, ))
        audio = torch.randn(2, 3, 128, dtype=torch.float64)
        visual = torch.rand(2, 3, 2, 2, 8, dtype=torch.float64)
        audio_seq, visual_seq = encoder(audio, visual)
        attended = encoder.attention(
            audio.reshape(6, 128), visual.reshape(6, 4, 8))
        expected_audio, _ = encoder.audio_lstm(audio)
        expected_visual, _ = encoder.visual_lstm(
            encoder.visual_embedding(attended.reshape(2, 3, 8)))
        torch.testing.assert_close(audio_seq, expected_audio)
        torch.testing.assert_close(visual_seq, expected_visual)

    def test_invalid_variants(self):
        with self.assertRaisesRegex(ValueError, 'visual_embedding'):
            MODELS.build(dict(type='AVGAEncoder', visual_embedding='mlp'))
        with self.assertRaisesRegex(ValueError, 'audio_channels=64'):
            MODELS.build(
                dict(type='AVGAEncoder', audio_channels=64,
                     embed_audio=False))
