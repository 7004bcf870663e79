from unittest import TestCase

import torch

from mmcpsp.registry import MODELS


def _inputs(batch_size=2, num_segments=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return dict(
        audio=torch.randn(batch_size, num_segments, 128, generator=generator,
                          dtype=torch.float64),
        visual=torch.randn(batch_size, num_segments, 8, 2048,
                           generator=generator, dtype=torch.float64),
        visual_st=torch.randn(batch_size, num_segments, 512,
                              generator=generator, dtype=torch.float64))


class TestAVVPInputStage(TestCase):

    def setUp(self):
        self.stage = MODELS.build(dict(type='AVVPInputStage')).double()

    def test_shapes_and_parameters(self):
        audio_inputs, visual_inputs = self.stage(**_inputs())
        self.assertEqual(audio_inputs.shape, (2, 3, 512))
        self.assertEqual(visual_inputs.shape, (2, 3, 512))
        # fc_a, fc_v, fc_st, fc_fusion of the release, each with a bias.
        self.assertEqual(
            sum(param.numel() for param in self.stage.parameters()),
            (128 + 1) * 512 + (2048 + 1) * 512 + (512 + 1) * 512 +
            (1024 + 1) * 512)

    def test_formula(self):
        inputs = _inputs()
        audio_inputs, visual_inputs = self.stage(**inputs)
        stage = self.stage
        torch.testing.assert_close(audio_inputs,
                                   stage.audio_proj(inputs['audio']))
        # Project every frame, then average the 8 frames of a segment.
        frames = stage.frame_proj(inputs['visual']).mean(dim=2)
        expected = stage.fusion(
            torch.cat([frames, stage.clip_proj(inputs['visual_st'])],
                      dim=-1))
        torch.testing.assert_close(visual_inputs, expected)

    def test_released_frame_layout(self):
        # [B, 80, 2048], frames 8t .. 8t + 7 in segment t, is the same
        # input as [B, 10, 8, 2048].
        inputs = _inputs(num_segments=10)
        flat = dict(inputs, visual=inputs['visual'].reshape(2, 80, 2048))
        for packed, released in zip(self.stage(**inputs),
                                    self.stage(**flat)):
            torch.testing.assert_close(packed, released, rtol=0, atol=1e-12)
        # Frames of another segment change only that segment.
        moved = flat['visual'].clone()
        moved[:, 8:16] += 1
        _, visual_inputs = self.stage(**dict(flat, visual=moved))
        _, reference = self.stage(**flat)
        changed = (visual_inputs - reference).abs().amax(dim=(0, 2)) > 0
        self.assertEqual(changed.tolist(), [False, True] + [False] * 8)

    def test_bad_inputs(self):
        inputs = _inputs()
        cases = (
            (dict(audio=inputs['audio'][..., :64]), 'audio features'),
            (dict(visual_st=inputs['visual_st'][:, :2]), 'disagree'),
            (dict(visual=inputs['visual'][:, :, :4]), r'\[B, T, 8, 2048\]'),
            (dict(visual=inputs['visual'].reshape(2, 24, 2048)[:, :20]),
             r'\[B, T \* 8, 2048\]'),
            (dict(visual_st=inputs['visual_st'][..., :100]), 'visual_st'),
        )
        for change, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(
                    ValueError, message):
                self.stage(**dict(inputs, **change))
