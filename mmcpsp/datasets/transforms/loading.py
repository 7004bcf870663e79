from typing import Dict, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS

from ..ave.files import AUDIO_ROW_SHAPE, FEATURE_KEY, VISUAL_ROW_SHAPE
from ..h5_utils import H5RowReader
from ..validation import check_finite
from .process_local import ProcessLocalState


def floating_dtype(dtype: str) -> np.dtype:
    """The floating dtype a loading transform outputs (ValueError for any
    other kind)."""
    dtype = np.dtype(dtype)
    if dtype.kind != 'f':
        raise ValueError(
            f'dtype must be a floating-point type, got {dtype!r}')
    return dtype

@TRANSFORMS.register_module()
class LoadAVEFeatures(ProcessLocalState, BaseTransform):
    """Read the audio and visual features of one AVE video.

    The HDF5 files are opened read-only, lazily, in the process that reads
    them: handles are cached per process id, so each forked DataLoader
    worker opens its own, and the transform pickles without them.
    Contiguous files are read with one ``pread`` per row, compressed or
    chunked ones through h5py. A row with NaN or infinite values raises
    :class:`DataValidationError` naming the file and row.

    Required keys: ``audio_path``, ``visual_path`` (HDF5 files with key
    ``'avadataset'``) and ``row`` (the video's row in both).

    Added keys: ``audio`` (array [T, 128]) and ``visual`` (array
    [T, 7, 7, 512], channels last), T = 10, in ``dtype``. Other keys
    (``segment_labels``, ``video_label``, ``video_id``, ``sample_idx``,
    ``num_classes``) pass through for ``PackAVELInputs``.

    Args:
        dtype (str): Floating dtype of the output arrays. Defaults to
            ``'float32'``.
    """

    def __init__(self, dtype: str = 'float32') -> None:
        self.dtype = floating_dtype(dtype)
        self._start_process_state()

    _process_local = ('_readers', '_buffers')

    def _reset_process_state(self) -> None:
        self._readers: Dict[str, H5RowReader] = {}
        self._buffers: Dict[Tuple[Tuple[int, ...], np.dtype],
                            np.ndarray] = {}

    def _reader(self, path: str, row_shape: Sequence[int]) -> H5RowReader:
        self._check_process()
        reader = self._readers.get(path)
        if reader is None:
            reader = H5RowReader(path, FEATURE_KEY, row_shape)
            self._readers[path] = reader
        return reader

    def _load(self, path: str, row_shape: Tuple[int, ...],
              row: int) -> np.ndarray:
        reader = self._reader(path, row_shape)
        if reader.dtype == self.dtype:
            features = reader.read(row, np.empty(row_shape, self.dtype))
        else:
            # The file's dtype is read into a buffer reused across calls
            # and cast once into the output array.
            key = (row_shape, reader.dtype)
            buffer = self._buffers.get(key)
            if buffer is None:
                buffer = self._buffers[key] = np.empty(row_shape,
                                                       reader.dtype)
            reader.read(row, buffer)
            features = np.empty(row_shape, self.dtype)
            with np.errstate(over='ignore'):
                np.copyto(features, buffer, casting='unsafe')
        # Checked after the cast, which may overflow a narrower dtype.
        check_finite(features, path, key=FEATURE_KEY, row=row,
                     expected=f'finite values (as {self.dtype})')
        return features

    def transform(self, results: dict) -> dict:
        """Add ``audio`` and ``visual`` to ``results``."""
        row = int(results['row'])
        results['audio'] = self._load(results['audio_path'], AUDIO_ROW_SHAPE,
                                      row)
        results['visual'] = self._load(results['visual_path'],
                                       VISUAL_ROW_SHAPE, row)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(dtype={self.dtype.name!r})'
