import os
from typing import Dict, Optional

import h5py
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmcpsp.registry import TRANSFORMS

from ..safe_pickle import load_zipped_array
from ..vggsound_avel_format import (
    check_finite,
    fit_audio,
    to_channels_last,
    to_event_mask,
)

# Raw chunk cache per HDF5 file. A visual chunk (one video, 1-2 MB) is read
# once per epoch, so caching it would only cost memory in every worker.
_CHUNK_CACHE_BYTES = 1 << 20


@TRANSFORMS.register_module()
class LoadVGGSoundAVELFeatures(BaseTransform):
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
        if not np.issubdtype(self.dtype, np.floating):
            raise ValueError(f'dtype must be floating point, got {dtype!r}')
        self._torch_dtype = torch.from_numpy(np.empty(0, self.dtype)).dtype
        self._handles: Dict[str, h5py.File] = {}
        self._handles_pid: Optional[int] = None

    def _hdf5_file(self, path: str) -> h5py.File:
        # Handles opened before a fork would be shared by the workers, whose
        # reads would then interfere; each process opens its own.
        if self._handles_pid != os.getpid():
            self._handles = {}
            self._handles_pid = os.getpid()
        if path not in self._handles:
            self._handles[path] = h5py.File(
                path, 'r', rdcc_nbytes=_CHUNK_CACHE_BYTES)
        return self._handles[path]

    def _cast(self, array: np.ndarray) -> np.ndarray:
        """A C-contiguous copy of ``array`` in ``self.dtype``."""
        if array.dtype == self.dtype:
            return np.ascontiguousarray(array)
        # numpy converts float16 element by element; torch uses the CPU's
        # vector instructions and is about ten times faster on 2 MB maps.
        return torch.from_numpy(np.ascontiguousarray(array)).to(
            self._torch_dtype).numpy()

    def _read_hdf5(self, results: dict) -> tuple:
        paths, row = results['hdf5_paths'], results['hdf5_row']
        where = f'{row} (video {results["video_id"]})'
        features = []
        for kind in ('audio', 'visual'):
            # Checked after the cast, where it is cheapest in float32.
            array = self._cast(self._hdf5_file(paths[kind])[kind][row])
            check_finite(array, paths[kind], key=kind, row=where)
            features.append(array)
        mask = None
        if results['with_segment_labels']:
            mask = to_event_mask(
                self._hdf5_file(paths['labels'])['labels'][row],
                paths['labels'], key='labels', row=where)
        return features[0], features[1], mask

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

    def __getstate__(self) -> dict:
        # Open HDF5 handles cannot be pickled (spawned workers); they are
        # reopened on first use.
        state = self.__dict__.copy()
        state['_handles'] = {}
        state['_handles_pid'] = None
        return state

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(dtype={self.dtype.name!r})'
