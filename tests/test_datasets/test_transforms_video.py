import os.path as osp
import tempfile
from unittest import TestCase

import numpy as np
from mmengine.registry import init_default_scope

from mmcpsp.datasets import DataValidationError
from mmcpsp.datasets.transforms.audio import waveform_to_examples
from mmcpsp.datasets.transforms.video import (
    count_segments,
    decode_video,
    segment_times,
)
from mmcpsp.registry import TRANSFORMS
from mmcpsp.testing import solid_image, write_test_video

#: One colour per second: segment t is COLORS[t].
COLORS = [(25 * t, 255 - 25 * t, (80 * t) % 256) for t in range(10)]


class TestDecodeVideo(TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        cls.lossless = osp.join(cls.tmp_dir.name, 'colors.mkv')
        write_test_video(
            cls.lossless, [solid_image(color) for color in COLORS],
            tones=[0] * 10, fps=8, encoding='lossless')

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def test_segment_times(self):
        np.testing.assert_allclose(
            segment_times(2, 4),
            [[0.125, 0.375, 0.625, 0.875], [1.125, 1.375, 1.625, 1.875]])
        self.assertEqual(count_segments(10.0), 10)
        self.assertEqual(count_segments(10.4), 10)
        self.assertEqual(count_segments(10.5), 11)
        self.assertEqual(count_segments(0.2), 1)

    def test_each_segment_shows_its_second(self):
        decoded = decode_video(self.lossless, 10, frames_per_segment=4)
        self.assertEqual(decoded.frames.shape, (10, 4, 48, 64, 3))
        for second, color in enumerate(COLORS):
            self.assertTrue((decoded.frames[second] == color).all(), second)
        self.assertEqual(decoded.duration, 10.0)
        self.assertEqual(decoded.sample_rate, 16000)
        self.assertEqual(decoded.waveform.shape, (1, 160000))

    def test_any_length_and_resize(self):
        decoded = decode_video(self.lossless, None, 2, frame_size=(32, 24))
        self.assertEqual(decoded.frames.shape, (10, 2, 24, 32, 3))

    def test_video_shorter_than_t_repeats_its_last_frame(self):
        path = osp.join(self.tmp_dir.name, 'short.mkv')
        write_test_video(path, [solid_image(color) for color in COLORS[:4]],
                         tones=[440] * 4, duration=3.5, encoding='lossless')
        decoded = decode_video(path, 10, frames_per_segment=2)
        self.assertEqual(decoded.frames.shape[:2], (10, 2))
        self.assertTrue((decoded.frames[4:] == COLORS[3]).all())
        self.assertAlmostEqual(decoded.waveform.shape[1] / 16000, 3.5)
        self.assertEqual(decode_video(path, None, 1).frames.shape[0], 4)

    def test_video_without_audio(self):
        path = osp.join(self.tmp_dir.name, 'silent.mp4')
        write_test_video(path, [solid_image(color) for color in COLORS[:3]])
        decoded = decode_video(path, 3, frames_per_segment=2)
        self.assertIsNone(decoded.waveform)
        self.assertEqual(decoded.frames.shape[:2], (3, 2))

    def test_h264_aac_stereo_tones(self):
        # Tones of 500 Hz and 2 kHz alternate each second; after the AAC
        # round trip and resampling from 44.1 kHz, each example still
        # peaks in the band of its second's tone.
        path = osp.join(self.tmp_dir.name, 'tones.mp4')
        tones = [500, 2000] * 3
        write_test_video(path, [solid_image(color) for color in COLORS[:6]],
                         tones=tones, sample_rate=44100, channels=2)
        decoded = decode_video(path, 6, frames_per_segment=1)
        self.assertEqual(decoded.waveform.shape[0], 2)
        self.assertEqual(decoded.sample_rate, 44100)
        examples = waveform_to_examples(decoded.waveform, 44100, 6)
        peaks = examples[:, 10:86].mean(axis=1).argmax(axis=1)
        self.assertEqual(len(set(peaks[0::2])), 1)
        self.assertEqual(len(set(peaks[1::2])), 1)
        self.assertGreater(peaks[1], peaks[0])

    def test_missing_and_undecodable_files(self):
        missing = osp.join(self.tmp_dir.name, 'missing.mp4')
        with self.assertRaisesRegex(
                DataValidationError,
                f'{missing}: expected a video file, found no such file'):
            decode_video(missing)
        broken = osp.join(self.tmp_dir.name, 'broken.mp4')
        with open(broken, 'wb') as file:
            file.write(b'\x00not a video' * 100)
        with self.assertRaisesRegex(
                DataValidationError,
                f'{broken}: expected a video that FFmpeg decodes, found '):
            decode_video(broken)

    def test_text_file_named_mp4_names_its_path_once(self):
        path = osp.join(self.tmp_dir.name, 'x.mp4')
        with open(path, 'w') as file:
            file.write('not a video, just text\n')
        with self.assertRaises(DataValidationError) as error:
            decode_video(path)
        self.assertEqual(
            str(error.exception),
            f'{path}: expected a video that FFmpeg decodes, found '
            'InvalidDataError: Invalid data found when processing input')


class TestDecodeTransforms(TestCase):

    def test_pipeline_with_mmaction_resize(self):
        init_default_scope('mmcpsp')
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'v.mp4')
            write_test_video(path, [solid_image(c) for c in COLORS[:3]],
                             tones=[440, 880, 0])
            pipeline = [
                TRANSFORMS.build(cfg) for cfg in [
                    dict(type='DecodeAVSegments', num_segments=3,
                         frames_per_segment=2),
                    dict(type='Resize', scale=(32, 32), keep_ratio=False),
                    dict(type='StackSegmentFrames'),
                    dict(type='VGGishLogMel'),
                ]
            ]
            results = dict(filename=path)
            for transform in pipeline:
                results = transform(results)
        self.assertEqual(results['visual'].shape, (3, 2, 32, 32, 3))
        self.assertEqual(results['visual'].dtype, np.uint8)
        self.assertEqual(results['audio'].shape, (3, 96, 64))
        self.assertNotIn('imgs', results)
