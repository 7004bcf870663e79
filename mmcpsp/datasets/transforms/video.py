"""Decode a video with PyAV into one-second segments of frames and audio.

Segment t is the interval [t, t + 1) seconds from the start of the file.
Its ``frames_per_segment`` frames are the frames shown at the times
``t + (k + 0.5) / frames_per_segment``, k = 0 .. N - 1 (uniformly inside
the segment). The audio track is returned whole, as VGGish's front end
works on the whole clip (``audio.py``).

Rules (each tested): a video shorter than T seconds repeats its last
frame for the times past its end (its audio is padded with silence by
``VGGishLogMel``); a video without an audio track has
``audio_waveform=None``; a missing or undecodable file raises
:class:`DataValidationError` naming it.

MMAction2's ``PyAVDecode`` picks frames by index and keeps every decoded
frame of the video in memory; it ignores the audio. Here one pass over the
file converts only the frames that are sampled, by timestamp, and keeps
the audio. Which frames are kept is a :class:`FrameSampler`'s choice
(:func:`decode_frames`): the segment times above, or the frames ffmpeg's
``-r`` would write (``ffmpeg_rate.py``, the LLP recipe).
"""
import math
import os.path as osp
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, List, Optional, Tuple

import av
import numpy as np
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS

from ..errors import DataValidationError

#: A final fragment of a video shorter than this (in seconds) does not
#: make a segment of its own when the number of segments is not given.
MIN_LAST_SEGMENT = 0.5


@dataclass
class DecodedVideo:
    """What :func:`decode_video` and :func:`decode_frames` return.

    Attributes:
        frames (np.ndarray | list): From :func:`decode_video`, uint8
            [T, N, H, W, 3], RGB; from :func:`decode_frames`, the list of
            what its sampler kept, in order.
        waveform (np.ndarray | None): float32 [C, n] in [-1, 1], from time
            0 at the native rate, quantised to 16 bits as an extracted WAV
            file would be; None without an audio track.
        sample_rate (int): Rate of ``waveform`` (0 without audio).
        duration (float): Length of the file in seconds.
    """
    frames: Any
    waveform: Optional[np.ndarray]
    sample_rate: int
    duration: float


class FrameSampler:
    """Chooses frames while a video is decoded, converting each chosen one
    once.

    :func:`decode_frames` calls :meth:`add` for every decoded frame in
    presentation order, then :meth:`finish` once. Subclasses decide which
    frames are kept; ``convert`` turns a kept ``av.VideoFrame`` into what
    the caller wants (an RGB array, a pair of resized images ...).

    Args:
        convert (Callable[[av.VideoFrame], Any]): Applied once per kept
            frame.
    """

    def __init__(self, convert: Callable[[av.VideoFrame], Any]) -> None:
        self.convert = convert
        self._converted: Optional[Tuple[av.VideoFrame, Any]] = None

    def converted(self, frame: av.VideoFrame) -> Any:
        """``convert(frame)``, computed once however often it is kept."""
        if self._converted is None or self._converted[0] is not frame:
            self._converted = (frame, self.convert(frame))
        return self._converted[1]

    def add(self, frame: av.VideoFrame, time: float) -> None:
        """Take the next decoded frame, shown from ``time`` (seconds from
        the start of the file)."""
        raise NotImplementedError

    def finish(self, last_frame: av.VideoFrame) -> List[Any]:
        """The kept frames, converted, once the stream has ended."""
        raise NotImplementedError


class SegmentFrameSampler(FrameSampler):
    """The frames shown at given times (the rule of :func:`decode_video`).

    Target time s shows the last frame whose time is at most s (the first
    frame for targets before it, the last frame for targets past the end).

    Args:
        targets (np.ndarray): Times in seconds, non-decreasing.
        convert (Callable[[av.VideoFrame], Any]): See
            :class:`FrameSampler`.
    """

    def __init__(self, targets: np.ndarray,
                 convert: Callable[[av.VideoFrame], Any]) -> None:
        super().__init__(convert)
        self.targets = np.asarray(targets, dtype=np.float64).ravel()
        self.sampled: List[Any] = []
        self.previous: Optional[av.VideoFrame] = None

    def add(self, frame: av.VideoFrame, time: float) -> None:
        """See :meth:`FrameSampler.add`."""
        # Every target before this frame's time shows the previous frame
        # (or this one, for targets before the first frame).
        shown = frame if self.previous is None else self.previous
        while (len(self.sampled) < self.targets.size
               and self.targets[len(self.sampled)] < time):
            self.sampled.append(self.converted(shown))
        self.previous = frame

    def finish(self, last_frame: av.VideoFrame) -> List[Any]:
        """See :meth:`FrameSampler.finish`."""
        # Times past the last frame (a video shorter than T) show the last
        # one.
        while len(self.sampled) < self.targets.size:
            self.sampled.append(self.converted(last_frame))
        return self.sampled


def count_segments(duration: float) -> int:
    """The number of one-second segments of a video of any length: every
    whole second, and a last fragment of at least half a second."""
    return max(1, int(math.floor(duration + 1 - MIN_LAST_SEGMENT)))


def segment_times(num_segments: int, frames_per_segment: int) -> np.ndarray:
    """float64 [T, N]: the times (s) of the sampled frames."""
    offsets = (np.arange(frames_per_segment) + 0.5) / frames_per_segment
    return np.arange(num_segments)[:, None] + offsets[None, :]


def to_rgb(frame: av.VideoFrame,
           frame_size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """A decoded frame as uint8 [H, W, 3] RGB, resized to (width, height)
    (bilinear) when ``frame_size`` is given."""
    if frame_size is None:
        return frame.to_ndarray(format='rgb24')
    width, height = frame_size
    # swscale resizes and converts in one step.
    return frame.reformat(
        width=width, height=height, format='rgb24',
        interpolation='BILINEAR').to_ndarray()


def _duration(container: av.container.InputContainer) -> Optional[float]:
    if container.duration is not None:
        return container.duration / av.time_base
    stream = container.streams.video[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def decode_video(path: str,
                 num_segments: Optional[int] = None,
                 frames_per_segment: int = 16,
                 frame_size: Optional[Tuple[int, int]] = None,
                 with_audio: bool = True) -> DecodedVideo:
    """Decode the sampled frames and the audio of a video, in one pass.

    Args:
        path (str): The video file.
        num_segments (int, optional): T. Defaults to None, meaning
            :func:`count_segments` of the file's duration.
        frames_per_segment (int): N, frames sampled in each segment.
            Defaults to 16 (the AVE recipe).
        frame_size (tuple[int, int], optional): Resize the sampled frames
            to (width, height), bilinear. Defaults to None (as decoded).
        with_audio (bool): Decode the audio track. Defaults to True.

    Returns:
        DecodedVideo: Frames [T, N, H, W, 3] and the audio.

    Raises:
        DataValidationError: When the file is missing, is not a video
            FFmpeg can decode, or has no video frame.
    """
    segments = [num_segments]

    def make_sampler(stream: av.video.stream.VideoStream,
                     duration: Optional[float]) -> SegmentFrameSampler:
        if segments[0] is None:
            if duration is None:
                raise DataValidationError(path, 'a known duration', 'none')
            segments[0] = count_segments(duration)
        return SegmentFrameSampler(
            segment_times(segments[0], frames_per_segment),
            partial(to_rgb, frame_size=frame_size))

    decoded = decode_frames(path, make_sampler, with_audio)
    frames = np.stack(decoded.frames)
    return replace(
        decoded,
        frames=frames.reshape(segments[0], frames_per_segment,
                              *frames.shape[1:]))


#: Makes the sampler of a video from its video stream and duration (None
#: when the file does not tell).
SamplerFactory = Callable[
    [av.video.stream.VideoStream, Optional[float]], FrameSampler]


def decode_frames(path: str,
                  make_sampler: SamplerFactory,
                  with_audio: bool = True) -> DecodedVideo:
    """Decode a video in one pass: the frames a sampler keeps, and the
    audio.

    Args:
        path (str): The video file.
        make_sampler (SamplerFactory): Called once the file is open.
        with_audio (bool): Decode the audio track. Defaults to True.

    Returns:
        DecodedVideo: ``frames`` is what the sampler's ``finish`` returns.

    Raises:
        DataValidationError: When the file is missing, is not a video
            FFmpeg can decode, or has no video frame.
    """
    if not osp.isfile(path):
        raise DataValidationError(path, 'a video file', 'no such file')
    try:
        with av.open(path) as container:
            return _decode(container, path, make_sampler, with_audio)
    except av.error.FFmpegError as error:
        # str(error) ends with the file name, which the message has already.
        reason = error.strerror or str(error)
        raise DataValidationError(path, 'a video that FFmpeg decodes',
                                  f'{type(error).__name__}: {reason}') from None


def _decode(container: av.container.InputContainer, path: str,
            make_sampler: SamplerFactory, with_audio: bool) -> DecodedVideo:
    if not container.streams.video:
        raise DataValidationError(path, 'a video stream', 'none')
    origin = (container.start_time or 0) / av.time_base
    duration = _duration(container)
    streams = [container.streams.video[0]]
    sampler = make_sampler(streams[0], duration)
    audio_stream = container.streams.audio[0] if (
        with_audio and container.streams.audio) else None
    if audio_stream is not None:
        streams.append(audio_stream)
        # 16-bit planar, as the WAV files the published features came from.
        resampler = av.AudioResampler(format='s16p')
        audio_blocks: List[np.ndarray] = []
        audio_start: Optional[float] = None
    last_frame: Optional[av.VideoFrame] = None
    last_time = -math.inf
    for frame in container.decode(*streams):
        if isinstance(frame, av.AudioFrame):
            if audio_start is None and frame.time is not None:
                audio_start = frame.time - origin
            for converted in resampler.resample(frame):
                audio_blocks.append(converted.to_ndarray())
            continue
        time = (frame.time if frame.time is not None else last_time) - origin
        last_time = time
        sampler.add(frame, time)
        last_frame = frame
    if last_frame is None:
        raise DataValidationError(path, 'at least one video frame', 'none')
    frames = sampler.finish(last_frame)
    waveform, sample_rate = None, 0
    if audio_stream is not None:
        audio_blocks.extend(
            converted.to_ndarray() for converted in resampler.resample(None))
        sample_rate = audio_stream.rate
        if audio_blocks:
            waveform = _place_audio(audio_blocks, audio_start or 0.0,
                                    sample_rate)
    if duration is None:
        duration = max(last_time, 0.0)
    return DecodedVideo(frames, waveform, sample_rate, float(duration))


def _place_audio(blocks: List[np.ndarray], start: float,
                 sample_rate: int) -> np.ndarray:
    samples = np.concatenate(blocks, axis=1).astype(np.float32) / 32768.0
    offset = int(round(start * sample_rate))
    if offset > 0:  # the audio starts late: silence before it
        samples = np.pad(samples, ((0, 0), (offset, 0)))
    elif offset < 0:  # samples before time 0 (encoder priming)
        samples = samples[:, -offset:]
    return samples


@TRANSFORMS.register_module()
class DecodeAVSegments(BaseTransform):
    """Decode a video file into T segments of N frames, and its audio.

    Required keys: ``filename`` (the video file). Optional key:
    ``num_segments``, which overrides the argument for this video (None:
    every second of the file, as the inference API decodes videos of any
    length with the model's test pipeline).

    Added keys: ``imgs`` (list of T * N uint8 RGB [H, W, 3] frames, segment
    by segment, as MMAction2's decoders give them, so that its frame
    transforms (``Resize``, ``Flip``, ``ColorJitter`` ...) apply),
    ``img_shape``, ``original_shape``, ``num_segments`` (T, as decoded),
    ``frames_per_segment`` (N), ``audio_waveform`` (float32 [C, n] or
    None), ``audio_sample_rate`` and ``duration``.

    Args:
        num_segments (int): T. Defaults to 10 (AVE).
        frames_per_segment (int): N. Defaults to 16 (the AVE recipe).
        frame_size (tuple[int, int], optional): Resize each sampled frame
            to (width, height) while decoding, which keeps a worker's
            memory small. Defaults to None (as decoded).
        with_audio (bool): Decode the audio. Defaults to True.
    """

    def __init__(self,
                 num_segments: int = 10,
                 frames_per_segment: int = 16,
                 frame_size: Optional[Tuple[int, int]] = None,
                 with_audio: bool = True) -> None:
        self.num_segments = num_segments
        self.frames_per_segment = frames_per_segment
        self.frame_size = None if frame_size is None else tuple(frame_size)
        self.with_audio = with_audio

    def transform(self, results: dict) -> dict:
        """Decode ``results['filename']``; see the class docstring."""
        num_segments = results.get('num_segments', self.num_segments)
        decoded = decode_video(results['filename'], num_segments,
                               self.frames_per_segment, self.frame_size,
                               self.with_audio)
        results['imgs'] = list(decoded.frames.reshape(
            -1, *decoded.frames.shape[2:]))
        results['img_shape'] = decoded.frames.shape[2:4]
        results['original_shape'] = decoded.frames.shape[2:4]
        results['num_segments'] = decoded.frames.shape[0]
        results['frames_per_segment'] = self.frames_per_segment
        results['audio_waveform'] = decoded.waveform
        results['audio_sample_rate'] = decoded.sample_rate
        results['duration'] = decoded.duration
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_segments={self.num_segments}'
                f', frames_per_segment={self.frames_per_segment}, '
                f'frame_size={self.frame_size}, '
                f'with_audio={self.with_audio})')


@TRANSFORMS.register_module()
class StackSegmentFrames(BaseTransform):
    """Stack ``imgs`` into the visual input of one video.

    Required keys: ``imgs`` (T * N frames [H, W, 3]), ``num_segments``,
    ``frames_per_segment``. Added key: ``visual`` (uint8 [T, N, H, W, 3]);
    ``imgs`` is removed. Normalisation happens in the data preprocessor,
    on the device, as in MMAction2.
    """

    def transform(self, results: dict) -> dict:
        """Add ``visual``; see the class docstring."""
        imgs = results.pop('imgs')
        results['visual'] = np.stack(imgs).reshape(
            results['num_segments'], results['frames_per_segment'],
            *imgs[0].shape)
        return results
