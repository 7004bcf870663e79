"""The frames ffmpeg writes at a fixed output rate (``ffmpeg -i V -r 8``).

The LLP features were computed from the JPEG frames of
``ffmpeg -i VIDEO -y -r 8 %06d.jpg`` (HAN's ``scripts/extract_frames.py``).
``-r`` on the output with the image2 muxer means constant-frame-rate output
(``-vsync cfr``): ffmpeg drops and repeats input frames so that one frame
falls on every output tick of 1/8 s. Its rule is not "the frame shown at
each tick": it tolerates a drift of up to 1.1 ticks before it drops or
repeats, so a 10 s clip at 29.92 fps gives 82 frames, each about one tick
late. :class:`FFmpegRateConverter` is that rule (``do_video_out`` of
ffmpeg 4.x, the ffmpeg of 2020, case ``VSYNC_CFR``), frame by frame;
:class:`FFmpegRateSampler` decodes with it. On the one video of the release
that comes with its frames (``BjCEufrlXm4.mp4`` in AVVP-ECCV20, 300 frames
at 359/12 fps), it picks the same 82 source frames as ffmpeg did, in order
(tests/test_datasets/test_transforms/test_ffmpeg_rate.py holds that
sequence).
"""
import math
from fractions import Fraction
from typing import Any, Callable, List, Optional, Tuple

import av

from .video import FrameSampler

#: ffmpeg's drift tolerance of the CFR rule, in output ticks.
_DRIFT = 1.1
#: ffmpeg keeps 16 extra bits of the output timestamp and nudges it off
#: exact midpoints by half of the last one.
_PTS_BITS = 16


def _lrint(value: float) -> int:
    """C's lrintf in the default rounding mode (half to even)."""
    return int(round(value))


class FFmpegRateConverter:
    """ffmpeg's constant-frame-rate rule, one input frame at a time.

    For each input frame, :meth:`push` says how many output frames (ticks
    of 1 / ``rate`` s) it fills and how many of those show the previous
    input frame instead (ffmpeg's ``nb0_frames``, a gap in the input):

    - ``delta0`` = the frame's time in ticks minus the next output tick,
      ``delta`` = ``delta0`` + the frame's duration in ticks;
    - ``delta < -1.1``: dropped; ``delta > 1.1``: ``lrint(delta)`` output
      frames, of which ``lrint(delta0 - 0.6)`` repeat the previous frame
      when ``delta0 > 1.1``; otherwise one output frame;
    - a frame that starts before the next tick but ends after it is
      clipped to start on it (``delta0 = 0``);
    - at the end of the stream, the last frame is repeated the median of
      the last three repeat counts (:meth:`flush`).

    The duration of a frame is 1 / its stream's frame rate in ticks, at
    most one tick, or the frame's own duration rounded to whole ticks
    when that is at least one (sources under 2 x ``rate`` fps).

    Args:
        rate (int): Output frames per second.
        input_rate (Fraction, optional): The stream's frame rate
            (FFmpeg's guess, ``stream.guessed_rate``); None when unknown.
    """

    def __init__(self, rate: int, input_rate: Optional[Fraction]) -> None:
        self.rate = rate
        self.frame_ticks = 0.0
        if input_rate:
            self.frame_ticks = min(1.0, rate / float(input_rate))
        self.next_tick = 0
        self._recent_repeats = [0, 0, 0]

    def push(self, time: float,
             duration: Optional[float] = None) -> Tuple[int, int]:
        """Take the next input frame.

        Args:
            time (float): Its presentation time in seconds from the start
                of the file.
            duration (float, optional): Its own duration in seconds.

        Returns:
            tuple[int, int]: (repeats, count): it fills the next ``count``
            output frames, the first ``repeats`` of which show the previous
            input frame.
        """
        ticks = self._ticks(time)
        frame_ticks = self.frame_ticks
        if duration and _lrint(duration * self.rate) > 0:
            frame_ticks = float(_lrint(duration * self.rate))
        delta0 = ticks - self.next_tick
        delta = delta0 + frame_ticks
        if delta0 < 0 < delta:
            delta0 = 0.0
        repeats, count = 0, 1
        if delta < -_DRIFT:
            count = 0
        elif delta > _DRIFT:
            count = _lrint(delta)
            if delta0 > _DRIFT:
                repeats = _lrint(delta0 - 0.6)
        repeats = min(repeats, count)
        self._recent_repeats = [repeats] + self._recent_repeats[:2]
        self.next_tick += count
        return repeats, count

    def flush(self) -> int:
        """Output frames that repeat the last input frame at the end."""
        count = sorted(self._recent_repeats)[1]
        self.next_tick += count
        return count

    def _ticks(self, time: float) -> float:
        scale = 1 << _PTS_BITS
        ticks = math.floor(time * self.rate * scale + 0.5) / scale
        # FFSIGN(0) is -1 in ffmpeg.
        nudge = 1.0 / (2 * scale)
        return ticks + nudge if ticks > 0 else ticks - nudge


class FFmpegRateSampler(FrameSampler):
    """Keeps the frames ``ffmpeg -i VIDEO -r RATE`` writes, in order.

    A repeated frame is converted once (the same object appears several
    times in :meth:`finish`'s list); a dropped one is never converted.

    Args:
        rate (int): Output frames per second.
        input_rate (Fraction, optional): The stream's frame rate.
        convert (Callable[[av.VideoFrame], Any]): See
            :class:`~mmcpsp.datasets.transforms.video.FrameSampler`.
    """

    def __init__(self, rate: int, input_rate: Optional[Fraction],
                 convert: Callable[[av.VideoFrame], Any]) -> None:
        super().__init__(convert)
        self.converter = FFmpegRateConverter(rate, input_rate)
        self.kept: List[Any] = []
        self.previous: Optional[av.VideoFrame] = None

    def add(self, frame: av.VideoFrame, time: float) -> None:
        """See :meth:`FrameSampler.add`."""
        duration = None
        if frame.duration and frame.time_base is not None:
            duration = float(frame.duration * frame.time_base)
        repeats, count = self.converter.push(time, duration)
        for index in range(count):
            shown = (self.previous if index < repeats
                     and self.previous is not None else frame)
            self.kept.append(self.converted(shown))
        self.previous = frame

    def finish(self, last_frame: av.VideoFrame) -> List[Any]:
        """See :meth:`FrameSampler.finish`."""
        for _ in range(self.converter.flush()):
            self.kept.append(self.converted(last_frame))
        return self.kept
