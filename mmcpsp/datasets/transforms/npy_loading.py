import numpy as np
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS

from ..errors import DataValidationError


def fit_segments(array: np.ndarray, num_segments: int,
                 path: str) -> np.ndarray:
    """Pad (repeating the last segment, as the VGGSound-AVEL loader) or
    truncate features [t, ...] to [T, ...]."""
    if array.ndim < 2 or array.shape[0] < 1:
        raise DataValidationError(path, 'features [t, ...] with t >= 1',
                                  list(array.shape))
    if not np.issubdtype(array.dtype, np.floating):
        raise DataValidationError(path, 'floating-point features',
                                  array.dtype)
    if not np.isfinite(array).all():
        raise DataValidationError(path, 'finite values',
                                  'NaN or infinite values')
    if array.shape[0] < num_segments:
        padding = np.repeat(array[-1:], num_segments - array.shape[0], 0)
        array = np.concatenate([array, padding])
    return array[:num_segments]


@TRANSFORMS.register_module()
class LoadNpyFeatures(BaseTransform):
    """Read one video's ``.npy`` features of any extractor.

    Required keys: ``audio_path``, ``visual_path``, ``num_segments`` (T).
    Added keys: ``audio`` [T, Ca] and ``visual`` [T, H, W, Cv] in
    ``dtype``: visual vectors [t, Cv] become 1 x 1 maps, token sets
    [t, N, Cv] N x 1 maps, so the audio-guided attention runs over 1 or N
    regions (set ``num_regions`` of the encoder to match). Both are padded
    (last segment repeated) or truncated to T. Files are loaded without
    pickle.

    Args:
        dtype (str): Floating dtype of the outputs. Defaults to
            ``'float32'``.
    """

    def __init__(self, dtype: str = 'float32') -> None:
        self.dtype = np.dtype(dtype)

    def _load(self, path: str, num_segments: int) -> np.ndarray:
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise DataValidationError(path, 'a .npy array',
                                      str(error)) from None
        return fit_segments(array, num_segments, path).astype(self.dtype)

    def transform(self, results: dict) -> dict:
        """Add ``audio`` and ``visual``."""
        num_segments = int(results['num_segments'])
        audio = self._load(results['audio_path'], num_segments)
        if audio.ndim != 2:
            raise DataValidationError(results['audio_path'],
                                      'audio features [t, Ca]',
                                      list(audio.shape))
        visual = self._load(results['visual_path'], num_segments)
        if visual.ndim == 2:
            visual = visual[:, None, None, :]
        elif visual.ndim == 3:
            visual = visual[:, :, None, :]
        elif visual.ndim != 4:
            raise DataValidationError(
                results['visual_path'],
                'visual features [t, Cv], [t, N, Cv] or [t, H, W, Cv]',
                list(visual.shape))
        results['audio'], results['visual'] = audio, visual
        return results
