import math
import os.path as osp
import tempfile
import warnings
from unittest import TestCase

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

from mmcpsp.apis import LLPFeatureExtractor, decode_llp_inputs
from mmcpsp.apis.extractor_base import ChannelNorm
from mmcpsp.apis.llp_feature_extractor import linspace_indices
from mmcpsp.datasets import DataValidationError
from mmcpsp.datasets.transforms.pil_frames import (
    center_crop,
    resize_exact,
    resize_shorter_side,
)
from mmcpsp.models.backbones.r2plus1d18 import (
    KINETICS_UNIT_MEAN,
    KINETICS_UNIT_STD,
)
from mmcpsp.models.backbones.resnet_pooled import (
    IMAGENET_UNIT_MEAN,
    IMAGENET_UNIT_STD,
)
from mmcpsp.testing import random_image, write_test_video

#: Small sizes keep ResNet-152 and R(2+1)D-18 within seconds on a CPU;
#: the code path is the one of 224 / 112.
FRAME_SIZE, CLIP_SIZE = 32, 32


class ChannelMeans(nn.Module):
    """Stands in for a network: the mean of each input channel."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.flatten(2).mean(dim=2)


class TestTorchvisionPILOps(TestCase):

    def test_resize_and_crop_sizes(self):
        image = Image.fromarray(random_image(0, size=(320, 240)))
        resized = resize_shorter_side(image, 256)
        self.assertEqual(resized.size, (341, 256))
        self.assertIs(resize_shorter_side(resized, 256), resized)
        self.assertEqual(resize_shorter_side(
            Image.fromarray(random_image(0, size=(240, 320))), 256).size,
            (256, 341))
        crop = center_crop(resized, 224)
        self.assertEqual(crop.size, (224, 224))
        # (341 - 224) / 2 = 58.5 rounds to 58 (half to even), top 16.
        np.testing.assert_array_equal(
            np.asarray(crop), np.asarray(resized)[16:240, 58:282])
        self.assertEqual(resize_exact(image, (112, 112)).size, (112, 112))

    def test_linspace_indices(self):
        np.testing.assert_array_equal(linspace_indices(80, 80),
                                      np.arange(80))
        np.testing.assert_array_equal(
            linspace_indices(82, 80),
            np.round(np.linspace(0, 81, 80)).astype(int))
        np.testing.assert_array_equal(linspace_indices(2, 4), [0, 0, 1, 1])


class TestDecodeLLPInputs(TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        cls.images = [random_image(seed, size=(48, 40)) for seed in range(3)]
        # 8 fps, lossless: ffmpeg's 8 frames a second are the written
        # frames, frames 8t .. 8t + 7 show image t.
        cls.lossless = osp.join(cls.tmp_dir.name, 'three.mkv')
        write_test_video(cls.lossless, cls.images, tones=[440, 0, 1500],
                         fps=8, encoding='lossless')

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def test_frames_are_the_recipe_preprocessing(self):
        inputs = decode_llp_inputs(self.lossless, frame_size=FRAME_SIZE,
                                   clip_size=CLIP_SIZE)
        self.assertEqual(inputs.frames.shape, (24, FRAME_SIZE, FRAME_SIZE, 3))
        self.assertEqual(inputs.clips.shape, (3, 8, CLIP_SIZE, CLIP_SIZE, 3))
        self.assertEqual(inputs.examples.shape, (3, 96, 64))
        self.assertEqual(inputs.duration, 3.0)
        for second, array in enumerate(self.images):
            image = Image.fromarray(array)
            # Shorter side to floor(32 / 0.875) = 36, centre crop 32.
            crop = np.asarray(center_crop(resize_shorter_side(image, 36),
                                          FRAME_SIZE))
            clip = np.asarray(resize_exact(image, (CLIP_SIZE, CLIP_SIZE)))
            for frame in range(8):
                np.testing.assert_array_equal(
                    inputs.frames[8 * second + frame], crop)
                np.testing.assert_array_equal(
                    inputs.clips[second, frame], clip)

    def test_fixed_number_of_segments_spreads_the_frames(self):
        inputs = decode_llp_inputs(self.lossless, num_segments=6,
                                   frame_size=FRAME_SIZE,
                                   clip_size=CLIP_SIZE)
        self.assertEqual(inputs.frames.shape[0], 48)
        self.assertEqual(inputs.clips.shape[:2], (6, 8))
        self.assertEqual(inputs.examples.shape[0], 6)

    def test_missing_file(self):
        with self.assertRaisesRegex(DataValidationError, 'no such file'):
            decode_llp_inputs(osp.join(self.tmp_dir.name, 'none.mp4'))


class TestLLPFeatureExtractor(TestCase):
    """Random weights (no weight file is downloadable here)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            cls.extractor = LLPFeatureExtractor(
                None, None, None, batch_size=16, frame_size=FRAME_SIZE,
                clip_size=CLIP_SIZE)

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def test_three_second_video_with_sound(self):
        path = osp.join(self.tmp_dir.name, 'three.mp4')
        write_test_video(path, [random_image(seed) for seed in range(3)],
                         tones=[440, 0, 1500], fps=25)
        features = self.extractor.extract(path)
        self.assertEqual(features['audio'].shape, (3, 128))
        self.assertEqual(features['visual'].shape, (24, 2048))
        self.assertEqual(features['visual_st'].shape, (3, 512))
        for key in ('audio', 'visual', 'visual_st'):
            self.assertEqual(features[key].dtype, np.float32, key)
            self.assertTrue(np.isfinite(features[key]).all(), key)
        self.assertEqual(features['duration'], 3.0)
        self.assertGreater(np.abs(features['visual'][0]
                                  - features['visual'][23]).max(), 0)

    def test_silent_video_of_another_length(self):
        path = osp.join(self.tmp_dir.name, 'silent.mp4')
        write_test_video(path, [random_image(seed) for seed in range(2)],
                         duration=2.0)
        features = self.extractor.extract(path)
        self.assertEqual(features['visual'].shape, (16, 2048))
        self.assertEqual(features['visual_st'].shape, (2, 512))
        # No audio track: every segment is the embedding of silence.
        np.testing.assert_array_equal(features['audio'][0],
                                      features['audio'][1])

    def test_normalisation_and_layout(self):
        pixels = np.random.default_rng(0).integers(
            0, 256, (2, 8, 4, 4, 3), dtype=np.uint8)
        # Clips [N, T, H, W, 3] reach the network as [N, 3, T, H, W].
        means = self.extractor.forward_pixels(
            ChannelMeans(), pixels,
            ChannelNorm(KINETICS_UNIT_MEAN, KINETICS_UNIT_STD, 255.0), 1)
        expected = ((pixels / 255.0 - np.array(KINETICS_UNIT_MEAN))
                    / np.array(KINETICS_UNIT_STD)).reshape(2, -1, 3)
        np.testing.assert_allclose(means.numpy(), expected.mean(axis=1),
                                   rtol=1e-5, atol=1e-5)
        norm = ChannelNorm(IMAGENET_UNIT_MEAN, IMAGENET_UNIT_STD, 255.0)
        frame = torch.full((1, 3, 1, 1), 255.0)
        np.testing.assert_allclose(
            norm(frame).flatten().numpy(),
            [(1 - mean) / std
             for mean, std in zip(IMAGENET_UNIT_MEAN, IMAGENET_UNIT_STD)],
            rtol=1e-6)
        self.assertTrue(math.isclose(norm.divisor, 255.0))
