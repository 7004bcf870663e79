from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS

from ..constants import NUM_SEGMENTS
from ..llp.files import FRAMES_PER_SEGMENT, load_features
from .loading import floating_dtype


@TRANSFORMS.register_module()
class LoadLLPFeatures(BaseTransform):
    """Read the three feature files of one LLP video.

    Each ``.npy`` is read without pickle and checked: shape ([10, 128],
    [80, 2048], [10, 512]), a floating dtype and finite values after the
    cast; a bad file raises :class:`DataValidationError` naming it.

    Required keys: ``audio_path`` (feats/vggish), ``visual_path``
    (feats/res152) and ``visual_st_path`` (feats/r2plus1d_18).

    Added keys, in ``dtype``: ``audio`` [T, 128], ``visual`` [T, 8, 2048]
    (the 80 frames segment-major: row t holds frames 8t .. 8t + 7) and
    ``visual_st`` [T, 512], T = 10. Other keys (``weak_label``,
    ``audio_labels``, ``visual_labels``, ``video_id`` ...) pass through for
    ``PackAVELInputs``.

    Args:
        dtype (str): Floating dtype of the outputs. Defaults to
            ``'float32'``.
    """

    def __init__(self, dtype: str = 'float32') -> None:
        self.dtype = floating_dtype(dtype)

    def transform(self, results: dict) -> dict:
        """Add ``audio``, ``visual`` and ``visual_st`` to ``results``."""
        results['audio'] = load_features(results['audio_path'], 'audio',
                                         self.dtype)
        frames = load_features(results['visual_path'], 'visual', self.dtype)
        results['visual'] = frames.reshape(NUM_SEGMENTS, FRAMES_PER_SEGMENT,
                                           frames.shape[-1])
        results['visual_st'] = load_features(results['visual_st_path'],
                                             'visual_st', self.dtype)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(dtype={self.dtype.name!r})'
