from typing import Dict

import h5py
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS

from ..errors import DataValidationError
from ..h5_utils import H5RowReader, get_dataset, open_h5
from ..validation import check_finite
from ..vggsound_avel.files import (
    fit_audio,
    to_channels_last,
    to_event_mask,
)
from ..vggsound_avel.hdf5 import HDF5_ROW_SHAPES
from ..vggsound_avel.safe_pickle import load_zipped_array
from .process_local import ProcessLocalState


@TRANSFORMS.register_module()
class LoadVGGSoundAVELFeatures(ProcessLocalState, BaseTransform):
    """Read the features and labels of one VGGSound-AVEL video.

    Reads the per-video zips through the safe unpickler, or one row of the
    converted HDF5 files, whose handles each process (DataLoader worker)
    opens for itself on first use.

    Required keys (set by ``VGGSoundAVELDataset``): ``feature_layout``,
    ``with_segment_labels``, ``num_classes`` and ``audio_path``,
    ``visual_path``, ``label_path`` (zip) or ``hdf5_paths``, ``hdf5_row``
    (hdf5).

    Added keys:

    - ``audio`` (np.ndarray): [10, 128], padded by repeating the last
      segment or truncated.
    - ``visual`` (np.ndarray): [10, 7, 7, 1024], channels last.
    - ``segment_labels`` (np.ndarray): int64 [10], class index where the
      event mask is 1, background (``num_classes``) where it is 0; only
      when ``with_segment_labels``.

    ``video_label``, ``video_id``, ``sample_idx`` and ``num_classes`` pass
    through for ``PackAVELInputs``.

    Args:
        dtype (str): Floating dtype of the features. Defaults to 'float32'.
    """

    def __init__(self, dtype: str = 'float32') -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != 'f':
            raise ValueError(f'dtype must be floating point, got {dtype!r}')
        self._torch_dtype = torch.from_numpy(np.empty(0, self.dtype)).dtype
        self._start_process_state()

    _process_local = ('_readers', '_label_files', '_label_sets', '_buffers')

    def _reset_process_state(self) -> None:
        self._readers: Dict[str, H5RowReader] = {}
        self._label_files: Dict[str, h5py.File] = {}
        self._label_sets: Dict[str, h5py.Dataset] = {}
        self._buffers: Dict[str, np.ndarray] = {}

    def _cast(self, array: np.ndarray) -> np.ndarray:
        """``array`` in ``self.dtype``, C-contiguous; copied only if not."""
        if array.dtype == self.dtype:
            return np.ascontiguousarray(array)
        # numpy converts float16 element by element; torch uses the CPU's
        # vector instructions and is about ten times faster on 2 MB maps.
        return torch.from_numpy(np.ascontiguousarray(array)).to(
            self._torch_dtype).numpy()

    def _read_features(self, path: str, kind: str, row: int,
                       where: str) -> np.ndarray:
        reader = self._readers.get(path)
        if reader is None:
            reader = self._readers[path] = H5RowReader(
                path, kind, HDF5_ROW_SHAPES[kind])
        if reader.dtype == self.dtype:
            features = reader.read(row, np.empty(reader.row_shape,
                                                 reader.dtype))
        else:
            # Read into a buffer reused across calls; the cast makes the
            # array handed on.
            buffer = self._buffers.get(path)
            if buffer is None:
                buffer = self._buffers[path] = np.empty(
                    reader.row_shape, reader.dtype)
            features = self._cast(reader.read(row, buffer))
        # Checked after the cast, where it is cheapest (and covers values
        # that overflow a narrower dtype).
        check_finite(features, path, key=kind, row=where)
        return features

    def _read_labels(self, path: str, row: int, where: str) -> np.ndarray:
        dataset = self._label_sets.get(path)
        if dataset is None:
            file = self._label_files[path] = open_h5(path)
            dataset = self._label_sets[path] = get_dataset(
                file, 'labels', path)
        try:
            mask = dataset[row]
        except (OSError, RuntimeError, ValueError) as error:
            raise DataValidationError(
                path, key='labels', row=where, expected='readable data',
                found=f'a read error ({error})') from None
        return to_event_mask(mask, path, key='labels', row=where)

    def _read_hdf5(self, results: dict) -> tuple:
        paths, row = results['hdf5_paths'], results['hdf5_row']
        where = f'{row} (video {results["video_id"]})'
        audio = self._read_features(paths['audio'], 'audio', row, where)
        visual = self._read_features(paths['visual'], 'visual', row, where)
        mask = None
        if results['with_segment_labels']:
            mask = self._read_labels(paths['labels'], row, where)
        return audio, visual, mask

    @staticmethod
    def _read_zips(results: dict) -> tuple:
        audio = fit_audio(
            load_zipped_array(results['audio_path']), results['audio_path'])
        visual = to_channels_last(
            load_zipped_array(results['visual_path']), results['visual_path'])
        mask = None
        if results['with_segment_labels']:
            mask = to_event_mask(
                load_zipped_array(results['label_path']),
                results['label_path'])
        return audio, visual, mask

    def transform(self, results: dict) -> dict:
        """Add ``audio``, ``visual`` and, if asked, ``segment_labels``."""
        self._check_process()
        if results['feature_layout'] == 'hdf5':
            audio, visual, mask = self._read_hdf5(results)
        else:
            audio, visual, mask = self._read_zips(results)
        results['audio'] = self._cast(audio)
        results['visual'] = self._cast(visual)
        if mask is not None:
            results['segment_labels'] = np.where(
                mask == 1, results['video_label'],
                results['num_classes']).astype(np.int64)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(dtype={self.dtype.name!r})'
