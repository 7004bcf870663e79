import os.path as osp
import tempfile
from unittest import TestCase

import numpy as np

from mmcpsp.apis import AVFeatureExtractor
from mmcpsp.datasets import DataValidationError
from mmcpsp.testing import random_image, write_test_video


class TestAVFeatureExtractor(TestCase):
    """Random weights (no weight file is downloadable here); 64 x 64 frames
    (2 x 2 maps) keep VGG-19 on CPU within seconds. The AVE size (224, 7 x
    7 maps) runs in tests/test_tools/test_extract_features.py."""

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        cls.extractor = AVFeatureExtractor(
            None, None, frames_per_segment=2, batch_size=8, frame_size=64)

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def test_two_still_images(self):
        # One still image for the first five seconds, another for the last
        # five, losslessly encoded: rows 0-4 equal, rows 5-9 differ.
        path = osp.join(self.tmp_dir.name, 'two_stills.mkv')
        first, second = random_image(1), random_image(2)
        write_test_video(path, [first] * 5 + [second] * 5,
                         tones=[440] * 5 + [1500] * 5, encoding='lossless')
        features = self.extractor.extract(path)
        visual, audio = features['visual'], features['audio']
        self.assertEqual(visual.shape, (10, 2, 2, 512))
        self.assertEqual(audio.shape, (10, 128))
        self.assertEqual(features['duration'], 10.0)
        self.assertGreater(np.abs(visual).max(), 0)
        for row in range(1, 5):
            np.testing.assert_allclose(visual[row], visual[0], rtol=0,
                                       atol=1e-6)
            np.testing.assert_allclose(visual[5 + row], visual[5], rtol=0,
                                       atol=1e-6)
        self.assertGreater(np.abs(visual[5] - visual[0]).max(), 1e-3)
        self.assertGreaterEqual(visual.min(), 0)
        self.assertGreaterEqual(audio.min(), 0)

    def test_any_length_without_audio(self):
        path = osp.join(self.tmp_dir.name, 'short_silent.mp4')
        write_test_video(path, [random_image(seed) for seed in range(4)],
                         duration=3.5)
        features = self.extractor.extract(path)
        self.assertEqual(features['visual'].shape, (4, 2, 2, 512))
        self.assertEqual(features['audio'].shape, (4, 128))
        # No audio track: every segment is the embedding of silence.
        np.testing.assert_array_equal(features['audio'],
                                      features['audio'][[0] * 4])
        self.assertEqual(features['duration'], 3.5)

    def test_missing_file(self):
        with self.assertRaisesRegex(DataValidationError, 'no such file'):
            self.extractor.extract(osp.join(self.tmp_dir.name, 'none.mp4'))
