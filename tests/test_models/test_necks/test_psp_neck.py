import math
from unittest import TestCase

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcpsp.models.necks import prune_and_normalize, row_normalize
from mmcpsp.registry import MODELS


class TestPropagationWeights(TestCase):

    def test_row_normalize_adds_1e_8(self):
        matrix = torch.tensor([[1., 3.], [0., 0.]], dtype=torch.float64)
        expected = torch.tensor([[1 / (4 + 1e-8), 3 / (4 + 1e-8)], [0., 0.]],
                                dtype=torch.float64)
        torch.testing.assert_close(
            row_normalize(matrix), expected, rtol=0, atol=1e-17)

    def test_prune_is_strict_then_renormalizes(self):
        weights = torch.tensor([[0.05, 0.15, 0.8], [0.25, 0.25, 0.5]],
                               dtype=torch.float64)
        # At 0.25 only 0.8 and 0.5 stay: 0.25 itself is not "above".
        pruned = prune_and_normalize(weights, 0.25)
        expected = torch.tensor(
            [[0., 0., 0.8 / (0.8 + 1e-8)], [0., 0., 0.5 / (0.5 + 1e-8)]],
            dtype=torch.float64)
        torch.testing.assert_close(pruned, expected, rtol=0, atol=1e-17)
        # At 0.099, 0.05 goes and 0.15 and 0.8 stay.
        pruned = prune_and_normalize(weights[:1], 0.099)
        expected = torch.tensor(
            [[0., 0.15 / (0.95 + 1e-8), 0.8 / (0.95 + 1e-8)]],
            dtype=torch.float64)
        torch.testing.assert_close(pruned, expected, rtol=0, atol=1e-15)


class TestPSPNeck(TestCase):

    def _identity_neck(self, channels: int) -> nn.Module:
        neck = MODELS.build(
            dict(type='PSPNeck', channels=channels,
                 threshold=0.3)).double().eval()
        with torch.no_grad():
            for layer in (neck.visual_message_proj, neck.visual_affinity_proj,
                          neck.audio_affinity_proj, neck.audio_message_proj,
                          neck.visual_out_proj, neck.audio_out_proj):
                layer.weight.copy_(torch.eye(channels))
        return neck

    def test_tiny_case_by_hand(self):
        # d = 4, T = 2, all projections the identity (eval: no dropout).
        # S = ReLU(Vs A^T / 2) = [[2, 1], [0, 0]]:
        #   Bva = [[2/3, 1/3], [0, 0]] -> pruned at 0.3: both kept;
        #   Bav = rownorm(S^T) = [[1, 0], [1, 0]] -> kept.
        neck = self._identity_neck(4)
        visual_seq = torch.tensor([[[2., 0., 0., 0.], [0., 0., 0., 1.]]],
                                  dtype=torch.float64)
        audio_seq = torch.tensor([[[2., 0., 0., 0.], [1., 0., 0., 0.]]],
                                 dtype=torch.float64)
        eps = 1e-8
        g_va = torch.tensor([[2 / (3 + eps), 1 / (3 + eps)], [0., 0.]],
                            dtype=torch.float64)
        g_va = g_va / (g_va.sum(-1, keepdim=True) + eps)
        g_av = torch.tensor([[2 / (2 + eps), 0.], [1 / (1 + eps), 0.]],
                            dtype=torch.float64)
        g_av = g_av / (g_av.sum(-1, keepdim=True) + eps)
        visual_psp = visual_seq[0] + g_va @ audio_seq[0]
        audio_psp = audio_seq[0] + g_av @ visual_seq[0]
        # visual_psp ~ [[3.667, 0, 0, 0], [0, 0, 0, 1]],
        # audio_psp ~ [[4, 0, 0, 0], [3, 0, 0, 0]]: all non-negative, so
        # ReLU keeps them and the LayerNorm (weight 1, bias 0) normalises.
        visual_out = F.layer_norm(visual_psp, (4, ), eps=1e-6)
        audio_out = F.layer_norm(audio_psp, (4, ), eps=1e-6)
        fused, vo, ao = neck(audio_seq, visual_seq)
        torch.testing.assert_close(vo[0], visual_out, rtol=0, atol=1e-12)
        torch.testing.assert_close(ao[0], audio_out, rtol=0, atol=1e-12)
        torch.testing.assert_close(
            fused[0], (visual_out + audio_out) / 2, rtol=0, atol=1e-12)
        self.assertAlmostEqual(visual_psp[0, 0].item(), 11 / 3, places=6)

    def test_pruned_weight_is_not_propagated(self):
        # Bva row 1 = [2/3, 1/3]; at threshold 0.4 the second audio segment
        # is dropped, so Vp_1 = Vs_1 + A_1 exactly (up to the 1e-8).
        neck = self._identity_neck(4)
        neck.threshold = 0.4
        visual_seq = torch.tensor([[[2., 0., 0., 0.], [0., 0., 0., 1.]]],
                                  dtype=torch.float64)
        audio_seq = torch.tensor([[[2., 0., 0., 0.], [1., 0., 0., 0.]]],
                                 dtype=torch.float64)
        _, visual_out, _ = neck(audio_seq, visual_seq)
        visual_psp = visual_seq[0, 0] + audio_seq[0, 0]
        torch.testing.assert_close(
            visual_out[0, 0],
            F.layer_norm(visual_psp, (4, ), eps=1e-6),
            rtol=0,
            atol=1e-7)

    def test_dropout_call_order(self):
        neck = MODELS.build(dict(type='PSPNeck', channels=8)).double().train()
        visual_seq = torch.randn(2, 3, 8, dtype=torch.float64)
        audio_seq = torch.randn(2, 3, 8, dtype=torch.float64)
        torch.manual_seed(7)
        fused, visual_out, audio_out = neck(audio_seq, visual_seq)

        def branch(layer, seq):
            return F.dropout(F.relu(layer(seq)), 0.1, training=True)

        torch.manual_seed(7)
        v1 = branch(neck.visual_message_proj, visual_seq)
        v2 = branch(neck.visual_affinity_proj, visual_seq)
        a1 = branch(neck.audio_affinity_proj, audio_seq)
        a2 = branch(neck.audio_message_proj, audio_seq)
        affinity = F.relu(v2 @ a1.transpose(1, 2) / math.sqrt(8))
        g_va = prune_and_normalize(row_normalize(affinity), 0.099)
        g_av = prune_and_normalize(
            row_normalize(affinity.transpose(1, 2)), 0.099)
        vo = neck.layer_norm(
            branch(neck.visual_out_proj, visual_seq + g_va @ a2))
        ao = neck.layer_norm(
            branch(neck.audio_out_proj, audio_seq + g_av @ v1))
        torch.testing.assert_close(visual_out, vo)
        torch.testing.assert_close(audio_out, ao)
        torch.testing.assert_close(fused, (vo + ao) / 2)

    def test_one_shared_layer_norm(self):
        neck = MODELS.build(dict(type='PSPNeck'))
        norms = [m for m in neck.modules() if isinstance(m, nn.LayerNorm)]
        self.assertEqual(len(norms), 1)
        self.assertEqual(norms[0].eps, 1e-6)
        self.assertEqual(neck.dropout.p, 0.1)
        self.assertEqual(neck.threshold, 0.099)
        self.assertTrue(
            all(layer.bias is None for layer in neck.modules()
                if isinstance(layer, nn.Linear)))
        self.assertEqual(
            sum(p.numel() for p in neck.parameters()), 6 * 256 * 256 + 512)

    def test_shapes(self):
        neck = MODELS.build(dict(type='PSPNeck'))
        outputs = neck(torch.randn(3, 10, 256), torch.randn(3, 10, 256))
        self.assertEqual([tuple(out.shape) for out in outputs],
                         [(3, 10, 256)] * 3)

    def test_cvpr21_weakly_variant(self):
        # No renormalisation after pruning, no output projection nor
        # output dropout: Vo = LN(Vs + Gva A2) with Gva = Bva * [Bva > thr].
        neck = MODELS.build(
            dict(type='PSPNeck', channels=8, threshold=0.2, renormalize=False,
                 output_projection=False)).double().train()
        self.assertFalse(hasattr(neck, 'visual_out_proj'))
        self.assertEqual(
            sum(p.numel() for p in neck.parameters()), 4 * 8 * 8 + 16)
        visual_seq = torch.randn(2, 3, 8, dtype=torch.float64)
        audio_seq = torch.randn(2, 3, 8, dtype=torch.float64)
        torch.manual_seed(3)
        fused, visual_out, audio_out = neck(audio_seq, visual_seq)

        def branch(layer, seq):
            return F.dropout(F.relu(layer(seq)), 0.1, training=True)

        torch.manual_seed(3)
        v1 = branch(neck.visual_message_proj, visual_seq)
        v2 = branch(neck.visual_affinity_proj, visual_seq)
        a1 = branch(neck.audio_affinity_proj, audio_seq)
        a2 = branch(neck.audio_message_proj, audio_seq)
        affinity = F.relu(v2 @ a1.transpose(1, 2) / math.sqrt(8))
        b_va = row_normalize(affinity)
        b_av = row_normalize(affinity.transpose(1, 2))
        vo = neck.layer_norm(visual_seq + (b_va * (b_va > 0.2)) @ a2)
        ao = neck.layer_norm(audio_seq + (b_av * (b_av > 0.2)) @ v1)
        torch.testing.assert_close(visual_out, vo)
        torch.testing.assert_close(audio_out, ao)
        torch.testing.assert_close(fused, (vo + ao) / 2)
        # The weights were pruned but not renormalised.
        kept = b_va * (b_va > 0.2)
        self.assertTrue(((kept.sum(-1) < 1 - 1e-3) & (kept.sum(-1) > 0)).any())
