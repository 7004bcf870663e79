import os.path as osp
import tempfile
from fractions import Fraction
from typing import List, Sequence
from unittest import TestCase

import av

from mmcpsp.datasets.transforms.ffmpeg_rate import (
    FFmpegRateConverter,
    FFmpegRateSampler,
)
from mmcpsp.datasets.transforms.video import decode_frames
from mmcpsp.testing import random_image, write_test_video

#: The source frame of each of the 82 JPEG frames that
#: ``ffmpeg -i BjCEufrlXm4.mp4 -r 8 %06d.jpg`` wrote for the release
#: (YapengTian/AVVP-ECCV20 fde5611, data/LLP_dataset/frame/BjCEufrlXm4/):
#: each JPEG matched to the decoded frame of the .mp4 (300 frames,
#: 359/12 fps, pts step 384 / 11488 s) with the least squared difference.
RELEASE_FRAMES = [
    0, 1, 3, 7, 10, 14, 18, 22, 25, 29, 33, 37, 40, 44, 48, 51, 55, 59, 63,
    66, 70, 74, 78, 81, 85, 89, 93, 96, 100, 104, 108, 111, 115, 119, 123,
    126, 130, 134, 137, 141, 145, 149, 152, 156, 160, 164, 167, 171, 175,
    179, 182, 186, 190, 194, 197, 201, 205, 209, 212, 216, 220, 224, 227,
    231, 235, 238, 242, 246, 250, 253, 257, 261, 265, 268, 272, 276, 280,
    283, 287, 291, 295, 298
]


def output_frames(converter: FFmpegRateConverter, times: Sequence[float],
                  durations: Sequence[float]) -> List[int]:
    """The input index shown by each output frame."""
    shown: List[int] = []
    for index, (time, duration) in enumerate(zip(times, durations)):
        repeats, count = converter.push(time, duration)
        shown += [index - 1] * repeats + [index] * (count - repeats)
    return shown + [len(times) - 1] * converter.flush()


class TestFFmpegRateConverter(TestCase):

    def test_release_frames_of_bjceufrlxm4(self):
        step = 384 / 11488
        converter = FFmpegRateConverter(8, Fraction(359, 12))
        shown = output_frames(converter, [index * step for index in range(300)],
                              [step] * 300)
        self.assertEqual(shown, RELEASE_FRAMES)

    def test_frame_rate_equal_to_the_output_rate(self):
        converter = FFmpegRateConverter(8, Fraction(8))
        shown = output_frames(converter, [index / 8 for index in range(16)],
                              [1 / 8] * 16)
        self.assertEqual(shown, list(range(16)))

    def test_slow_source_repeats_each_frame(self):
        # 4 fps: each frame lasts two ticks (its own duration, rounded).
        converter = FFmpegRateConverter(8, Fraction(4))
        shown = output_frames(converter, [index / 4 for index in range(8)],
                              [1 / 4] * 8)
        self.assertEqual(shown, [index // 2 for index in range(16)])

    def test_gap_repeats_the_previous_frame(self):
        # 8 fps with the frames of 0.25 s .. 0.875 s missing: the ticks of
        # the gap show the frame before it.
        times = [0.0, 0.125, 1.0, 1.125]
        converter = FFmpegRateConverter(8, Fraction(8))
        shown = output_frames(converter, times, [1 / 8] * 4)
        self.assertEqual(shown, [0, 1, 1, 1, 1, 1, 1, 2, 2, 3])
        self.assertEqual(converter.next_tick, len(shown))

    def test_unknown_rate_and_duration(self):
        converter = FFmpegRateConverter(8, None)
        shown = output_frames(converter, [index / 8 for index in range(4)],
                              [None] * 4)
        self.assertEqual(shown, [0, 1, 2, 3])


class TestFFmpegRateSampler(TestCase):

    def test_decodes_the_frames_ffmpeg_would_write(self):
        with tempfile.TemporaryDirectory() as tmp_dir:
            path = osp.join(tmp_dir, 'v.mkv')
            write_test_video(path, [random_image(seed) for seed in range(2)],
                             fps=30, encoding='lossless')
            converted: List[int] = []

            def convert(frame) -> int:
                converted.append(frame.pts)
                return frame.pts

            decoded = decode_frames(
                path, lambda stream, duration: FFmpegRateSampler(
                    8, stream.guessed_rate, convert), with_audio=False)
            with av.open(path) as container:
                stream = container.streams.video[0]
                frames = list(container.decode(stream))
                converter = FFmpegRateConverter(8, stream.guessed_rate)
        self.assertEqual(len(frames), 60)
        shown = output_frames(
            converter, [frame.time for frame in frames],
            [float(frame.duration * frame.time_base) for frame in frames])
        expected = [frames[index].pts for index in shown]
        # Two more than 8 a second: the lag of the drift tolerance.
        self.assertEqual(len(decoded.frames), 18)
        self.assertEqual(decoded.frames, expected)
        # Each kept frame converted once, dropped ones never.
        self.assertEqual(converted, sorted(set(expected)))
