import math
from unittest import TestCase

import torch
import torch.nn.functional as F

from mmcpsp.registry import MODELS


def _sequences(batch_size=2, num_segments=10, channels=512, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch_size, num_segments, channels, generator=generator,
                    dtype=torch.float64) for _ in range(2))


def _attention(module, query, key):
    """One-head attention written out, per video: [T, d] -> [T, d]."""
    dim = query.shape[-1]
    weight, bias = module.in_proj_weight, module.in_proj_bias
    q = query @ weight[:dim].t() + bias[:dim]
    k = key @ weight[dim:2 * dim].t() + bias[dim:2 * dim]
    v = key @ weight[2 * dim:].t() + bias[2 * dim:]
    attn = torch.softmax(q @ k.t() / math.sqrt(dim), dim=-1)
    return module.out_proj(attn @ v)


class TestHANNeck(TestCase):

    def setUp(self):
        self.neck = MODELS.build(dict(type='HANNeck')).double().eval()

    def test_structure(self):
        neck = self.neck
        for attention in (neck.self_attn, neck.cross_attn):
            self.assertEqual((attention.embed_dim, attention.num_heads,
                              attention.dropout, attention.batch_first),
                             (512, 1, 0.1, False))
            # PyTorch's defaults: zero input and output biases.
            self.assertEqual(attention.in_proj_bias.abs().sum().item(), 0)
        for norm in (neck.attention_norm, neck.ffn_norm):
            self.assertEqual(norm.eps, 1e-5)
        # One shared layer: two attentions, two linears, two LayerNorms.
        self.assertEqual(
            sum(param.numel() for param in neck.parameters()),
            2 * (1536 * 512 + 1536 + 512 * 512 + 512) +
            2 * (512 * 512 + 512) + 2 * 2 * 512)

    def test_shared_layer_formula(self):
        neck = self.neck
        audio_inputs, visual_inputs = _sequences()
        audio_feats, visual_feats, visual_out_inputs = neck(
            audio_inputs, visual_inputs)
        self.assertIs(visual_out_inputs, visual_inputs)

        def layer(query, other):
            hidden = neck.attention_norm(
                query + _attention(neck.cross_attn, query, other) +
                _attention(neck.self_attn, query, query))
            ffn = neck.ffn_out(F.relu(neck.ffn_hidden(hidden)))
            return neck.ffn_norm(hidden + ffn)

        for b in range(2):
            torch.testing.assert_close(
                audio_feats[b], layer(audio_inputs[b], visual_inputs[b]))
            torch.testing.assert_close(
                visual_feats[b], layer(visual_inputs[b], audio_inputs[b]))

    def test_attention_stays_within_a_video(self):
        audio_inputs, visual_inputs = _sequences(batch_size=3)
        batch = self.neck(audio_inputs, visual_inputs)
        single = self.neck(audio_inputs[2:], visual_inputs[2:])
        for batched, alone in zip(batch[:2], single[:2]):
            torch.testing.assert_close(batched[2:], alone)

    def test_dropout_in_training(self):
        audio_inputs, visual_inputs = _sequences()
        neck = MODELS.build(dict(type='HANNeck', dropout=0.0)).double()
        neck.load_state_dict(self.neck.state_dict())
        neck.train()
        for produced, expected in zip(
                neck(audio_inputs, visual_inputs),
                self.neck(audio_inputs, visual_inputs)):
            torch.testing.assert_close(produced, expected)
        self.neck.train()
        first = self.neck(audio_inputs, visual_inputs)[0]
        second = self.neck(audio_inputs, visual_inputs)[0]
        self.assertFalse(torch.equal(first, second))
