"""VGGish's log-mel front end: one [96, 64] example per one-second segment.

The maths are those of the AudioSet VGGish release and of its PyTorch port
(``waveform_to_examples``): mono, 16 kHz, STFT magnitude with a periodic
Hann window of 25 ms every 10 ms, 64 HTK mel bands over 125-7,500 Hz,
``log(mel + 0.01)``, cut into non-overlapping 0.96 s examples. The one
deliberate difference is the resampler (see :func:`to_mono_16k`).
"""
import functools
import math
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from scipy.signal import resample_poly

from mmcpsp.registry import TRANSFORMS

from ..errors import DataValidationError

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
FFT_LENGTH = 512
MEL_BANDS = 64
MEL_LOW_HZ = 125.0
MEL_HIGH_HZ = 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # 0.96 s
MISSING_AUDIO_RULES = ('silence', 'error')


def to_mono_16k(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """Average the channels and resample to 16 kHz.

    The port resamples with resampy (``kaiser_best``); this uses SciPy's
    polyphase ``resample_poly`` (Kaiser window, beta 5), which needs
    neither resampy's numba nor torchaudio. The two differ slightly near
    the cut-off; at 16 kHz input nothing is resampled and the examples
    are the port's. tools/data/README.md gives the measured difference.

    Args:
        waveform (np.ndarray): Samples in [-1, 1], [C, n] or [n].
        sample_rate (int): Rate of ``waveform`` in Hz.

    Returns:
        np.ndarray: float64 [m], mono at 16 kHz.
    """
    samples = np.asarray(waveform, dtype=np.float64)
    if samples.ndim == 2:
        samples = samples.mean(axis=0)
    if sample_rate != SAMPLE_RATE:
        divisor = math.gcd(int(sample_rate), SAMPLE_RATE)
        samples = resample_poly(samples, SAMPLE_RATE // divisor,
                                int(sample_rate) // divisor)
    return samples


@functools.lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """float64 [257, 64]: triangular HTK mel filters on the FFT bins,
    the DC bin's weights 0 (HTK leaves it out)."""

    def hertz_to_mel(hertz: np.ndarray) -> np.ndarray:
        return 1127.0 * np.log(1.0 + hertz / 700.0)

    bin_mels = hertz_to_mel(
        np.linspace(0.0, SAMPLE_RATE / 2, FFT_LENGTH // 2 + 1))
    edges = np.linspace(
        hertz_to_mel(MEL_LOW_HZ), hertz_to_mel(MEL_HIGH_HZ), MEL_BANDS + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mels[:, None] - lower) / (center - lower)
    falling = (upper - bin_mels[:, None]) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0
    return weights


def log_mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """Log-mel frames of a 16 kHz mono signal, no padding.

    Args:
        samples (np.ndarray): float64 [n], n >= 400.

    Returns:
        np.ndarray: float64 [1 + (n - 400) // 160, 64].
    """
    frames = np.lib.stride_tricks.sliding_window_view(
        samples, WINDOW_SAMPLES)[::HOP_SAMPLES]
    # Periodic Hann: a whole cosine period over the window.
    window = 0.5 - 0.5 * np.cos(
        2 * np.pi / WINDOW_SAMPLES * np.arange(WINDOW_SAMPLES))
    magnitudes = np.abs(np.fft.rfft(frames * window, FFT_LENGTH))
    return np.log(magnitudes @ mel_matrix() + LOG_OFFSET)


def samples_for_examples(num_examples: int) -> int:
    """16 kHz samples the STFT needs for ``num_examples`` examples."""
    return WINDOW_SAMPLES + HOP_SAMPLES * (num_examples * EXAMPLE_FRAMES - 1)


def waveform_to_examples(waveform: np.ndarray,
                         sample_rate: int,
                         num_examples: Optional[int] = None) -> np.ndarray:
    """VGGish examples of a whole clip.

    Args:
        waveform (np.ndarray): Samples in [-1, 1], [C, n] or [n].
        sample_rate (int): Rate of ``waveform`` in Hz.
        num_examples (int, optional): Examples wanted (T, one per
            segment). A clip too short for them is padded with silence
            (zeros) at the end before the STFT; a longer one gives its
            first ``num_examples``. Defaults to None, meaning as many whole
            examples as the clip holds (the port's rule).

    Returns:
        np.ndarray: float32 [E, 96, 64]; example t stands for segment t.
    """
    samples = to_mono_16k(waveform, sample_rate)
    if num_examples is not None:
        needed = samples_for_examples(num_examples)
        if samples.size < needed:
            samples = np.pad(samples, (0, needed - samples.size))
    if samples.size < WINDOW_SAMPLES:
        samples = np.pad(samples, (0, WINDOW_SAMPLES - samples.size))
    log_mel = log_mel_spectrogram(samples)
    count = log_mel.shape[0] // EXAMPLE_FRAMES
    if num_examples is not None:
        count = num_examples
    examples = log_mel[:count * EXAMPLE_FRAMES]
    return examples.reshape(count, EXAMPLE_FRAMES,
                            MEL_BANDS).astype(np.float32)


@TRANSFORMS.register_module()
class VGGishLogMel(BaseTransform):
    """Turn the decoded audio of a video into one VGGish example per
    segment.

    Required keys: ``audio_waveform`` (float32 [C, n] in [-1, 1], or None
    when the video has no audio track), ``audio_sample_rate`` and
    ``num_segments`` (T), as ``DecodeAVSegments`` adds them.

    Added keys: ``audio`` (float32 [T, 96, 64]). ``audio_waveform`` is
    removed (it is no longer needed and would travel to the main process).

    Rules: audio shorter than T segments is padded with silence; a video
    without an audio track gives T silent examples with
    ``on_missing_audio='silence'`` (every value ``log(0.01)``) or raises
    :class:`DataValidationError` naming the file with ``'error'``.

    Args:
        on_missing_audio (str): ``'silence'`` or ``'error'``. Defaults to
            ``'silence'``.
    """

    def __init__(self, on_missing_audio: str = 'silence') -> None:
        if on_missing_audio not in MISSING_AUDIO_RULES:
            raise ValueError(f'on_missing_audio must be one of '
                             f'{MISSING_AUDIO_RULES}, got '
                             f'{on_missing_audio!r}')
        self.on_missing_audio = on_missing_audio

    def transform(self, results: dict) -> dict:
        """Add ``audio``; see the class docstring."""
        waveform = results.pop('audio_waveform')
        num_segments = int(results['num_segments'])
        sample_rate = int(results.get('audio_sample_rate') or SAMPLE_RATE)
        if waveform is None:
            if self.on_missing_audio == 'error':
                raise DataValidationError(
                    results['filename'], 'a video with an audio track',
                    'no audio stream')
            waveform = np.zeros(0, dtype=np.float32)
        results['audio'] = waveform_to_examples(waveform, sample_rate,
                                                num_segments)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'on_missing_audio={self.on_missing_audio!r})')
