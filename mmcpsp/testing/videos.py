"""Small synthetic videos with sound, written with PyAV, for tests, tools
and the demo.

A test video shows one image per one-second segment and plays one tone
per segment, so what a decoder returns for segment t can be checked
against what was written for it.
"""
import math
from fractions import Fraction
from typing import Optional, Sequence, Tuple

import av
import numpy as np

#: (video codec, pixel format, audio codec) per encoding. ``lossless``
#: keeps every pixel and sample (FFV1 in RGB, PCM), so a still image
#: decodes to identical frames; ``h264`` is what real videos use.
ENCODINGS = {
    'h264': ('libx264', 'yuv420p', 'aac'),
    'lossless': ('ffv1', 'bgr0', 'pcm_s16le'),
}
#: Peak amplitude of the tones, in [0, 1].
TONE_AMPLITUDE = 0.5


def solid_image(color: Sequence[int], size: Tuple[int, int] = (64, 48)
                ) -> np.ndarray:
    """An image of one colour.

    Args:
        color (Sequence[int]): RGB values in [0, 255].
        size (tuple[int, int]): Width and height. Defaults to (64, 48).

    Returns:
        np.ndarray: uint8 [H, W, 3], RGB.
    """
    width, height = size
    return np.broadcast_to(
        np.asarray(color, dtype=np.uint8), (height, width, 3)).copy()


def random_image(seed: int, size: Tuple[int, int] = (64, 48)) -> np.ndarray:
    """An image of random pixels (textured, unlike :func:`solid_image`).

    Returns:
        np.ndarray: uint8 [H, W, 3], RGB.
    """
    width, height = size
    return np.random.default_rng(seed).integers(
        0, 256, (height, width, 3), dtype=np.uint8)


def tone(frequency: float, duration: float, sample_rate: int,
         start: float = 0.0) -> np.ndarray:
    """A sine tone (silence when ``frequency`` is 0).

    Returns:
        np.ndarray: float64 [n] in [-TONE_AMPLITUDE, TONE_AMPLITUDE].
    """
    times = start + np.arange(int(round(duration * sample_rate))) / sample_rate
    return TONE_AMPLITUDE * np.sin(2 * np.pi * frequency * times)


def write_test_video(path: str,
                     images: Sequence[np.ndarray],
                     tones: Optional[Sequence[float]] = None,
                     duration: Optional[float] = None,
                     fps: int = 8,
                     sample_rate: int = 16000,
                     channels: int = 1,
                     encoding: str = 'h264') -> None:
    """Write a video showing ``images[t]`` and playing ``tones[t]`` during
    second t.

    Args:
        path (str): Output file; ``.mp4`` for ``'h264'``, ``.mkv`` for
            ``'lossless'``.
        images (Sequence[np.ndarray]): One RGB uint8 [H, W, 3] image per
            second (H and W even); the last one is held to the end.
        tones (Sequence[float], optional): Frequency in Hz per second (0 is
            silence); None writes no audio track. Defaults to None.
        duration (float, optional): Length in seconds. Defaults to None,
            meaning ``len(images)``.
        fps (int): Frame rate. Defaults to 8.
        sample_rate (int): Audio sample rate. Defaults to 16000.
        channels (int): 1 (mono) or 2 (the same tone on both). Defaults
            to 1.
        encoding (str): A key of :data:`ENCODINGS`. Defaults to ``'h264'``.
    """
    video_codec, pixel_format, audio_codec = ENCODINGS[encoding]
    duration = float(len(images) if duration is None else duration)
    height, width = images[0].shape[:2]
    with av.open(path, 'w') as container:
        video = container.add_stream(video_codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, pixel_format
        if video_codec == 'libx264':
            # Every frame a key frame: exact seeking is not needed, but
            # small test files should not depend on the GOP.
            video.options = {'g': '1'}
        audio = None
        if tones is not None:
            audio = container.add_stream(audio_codec, rate=sample_rate)
            audio.layout = 'mono' if channels == 1 else 'stereo'
        for index in range(int(math.ceil(duration * fps - 1e-9))):
            second = min(int(index / fps), len(images) - 1)
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(images[second]), format='rgb24')
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if audio is not None:
            _write_tones(container, audio, tones, duration, sample_rate,
                         channels)


def _write_tones(container: av.container.OutputContainer,
                 audio: av.audio.stream.AudioStream, tones: Sequence[float],
                 duration: float, sample_rate: int, channels: int) -> None:
    pieces = []
    for second in range(int(math.ceil(duration))):
        length = min(1.0, duration - second)
        frequency = tones[min(second, len(tones) - 1)]
        pieces.append(tone(frequency, length, sample_rate, start=second))
    samples = np.round(np.concatenate(pieces) * 32767).astype(np.int16)
    interleaved = np.repeat(samples, channels)  # [n * C], s16 packed
    layout = 'mono' if channels == 1 else 'stereo'
    chunk = 1024
    for start in range(0, len(samples), chunk):
        block = interleaved[start * channels:(start + chunk) * channels]
        frame = av.AudioFrame.from_ndarray(
            block.reshape(1, -1), format='s16', layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        container.mux(audio.encode(frame))
    container.mux(audio.encode())
