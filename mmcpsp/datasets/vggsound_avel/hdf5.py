"""The converted HDF5 layout of VGGSound-AVEL100k.

``tools/data/vggsound_avel/convert_to_hdf5.py`` packs the per-video zips of
a data root into one folder (by default ``<data_root>/hdf5``)::

    audio.h5    'audio' float32 [N, 10, 128] (already padded or truncated)
                'audio_length' int32 [N] (segments in the zip before that)
    visual.h5   'visual' float32 or float16 [N, 10, 7, 7, 1024], channels
                last, one chunk per ``chunk_videos`` videos
    labels.h5   'labels' uint8 [N, 10], the binary event masks
    index.h5    'video_id' str [N], the video of each row; written last, so
                its presence marks a finished conversion

Row i of every file is the i-th video of the meta CSV. Uncompressed datasets
have all their chunks allocated when created, so writing rows later never
changes HDF5 metadata and an interrupted conversion leaves readable files.
"""
import os
from typing import Dict, List, Optional, Sequence

import h5py
import numpy as np

from ..constants import NUM_SEGMENTS
from ..h5_utils import check_dtype, check_shape, get_dataset, open_h5, read_all
from .files import AUDIO_DIM, VISUAL_CHANNELS, VISUAL_SIZE

#: File of each kind inside the HDF5 folder.
HDF5_FILES = dict(
    audio='audio.h5', visual='visual.h5', labels='labels.h5',
    index='index.h5')
DEFAULT_HDF5_DIR = 'hdf5'
#: Shape of one row (video) of each dataset; the key is the dataset's name.
HDF5_ROW_SHAPES = dict(
    audio=(NUM_SEGMENTS, AUDIO_DIM),
    visual=(NUM_SEGMENTS, VISUAL_SIZE, VISUAL_SIZE, VISUAL_CHANNELS),
    labels=(NUM_SEGMENTS, ))
FORMAT_VERSION = 1

_AUDIO_CHUNK_VIDEOS = 64
_LABEL_CHUNK_VIDEOS = 1024


def hdf5_paths(hdf5_dir: str) -> Dict[str, str]:
    """Paths of the four files of a converted folder."""
    return {
        kind: os.path.join(hdf5_dir, name)
        for kind, name in HDF5_FILES.items()
    }


def is_converted(hdf5_dir: str) -> bool:
    """Whether a finished conversion is in ``hdf5_dir``."""
    return all(os.path.isfile(path) for path in hdf5_paths(hdf5_dir).values())


def _create(file: h5py.File, name: str, shape: Sequence[int], dtype: str,
            chunks: Sequence[int], compression: Optional[str]) -> None:
    if compression is None:
        # Allocate every chunk now so that later writes touch raw data only;
        # FILL_TIME_NEVER keeps the allocation free (a sparse file).
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        file.create_dataset(
            name, shape=shape, dtype=dtype, chunks=tuple(chunks), dcpl=dcpl,
            fill_time='never')
    else:
        # Level 1: at 100k videos gzip's higher levels cost far more time
        # than the little space they save.
        file.create_dataset(
            name, shape=shape, dtype=dtype, chunks=tuple(chunks),
            compression=compression,
            compression_opts=1 if compression == 'gzip' else None)


def create_feature_files(out_dir: str,
                         num_videos: int,
                         visual_dtype: str = 'float32',
                         chunk_videos: int = 1,
                         compression: Optional[str] = None) -> None:
    """Create empty ``audio.h5``, ``visual.h5`` and ``labels.h5``.

    Args:
        out_dir (str): The HDF5 folder; created if needed.
        num_videos (int): Rows N.
        visual_dtype (str): 'float32' or 'float16'. Defaults to 'float32'.
        chunk_videos (int): Videos per chunk of the visual maps; 1 suits
            shuffled reading. Defaults to 1.
        compression (str, optional): An h5py filter, 'gzip' (level 1) or
            'lzf'; None stores raw, preallocated chunks, which an
            interrupted writer cannot damage. Defaults to None.
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = hdf5_paths(out_dir)
    chunk_videos = max(1, min(chunk_videos, num_videos))
    with h5py.File(paths['audio'], 'w') as file:
        _create(file, 'audio', (num_videos, NUM_SEGMENTS, AUDIO_DIM),
                'float32', (min(num_videos, _AUDIO_CHUNK_VIDEOS),
                            NUM_SEGMENTS, AUDIO_DIM), compression)
        _create(file, 'audio_length', (num_videos, ), 'int32',
                (min(num_videos, _LABEL_CHUNK_VIDEOS), ), compression)
    with h5py.File(paths['visual'], 'w') as file:
        _create(file, 'visual', (num_videos, NUM_SEGMENTS, VISUAL_SIZE,
                                 VISUAL_SIZE, VISUAL_CHANNELS), visual_dtype,
                (chunk_videos, NUM_SEGMENTS, VISUAL_SIZE, VISUAL_SIZE,
                 VISUAL_CHANNELS), compression)
    with h5py.File(paths['labels'], 'w') as file:
        _create(file, 'labels', (num_videos, NUM_SEGMENTS), 'uint8',
                (min(num_videos, _LABEL_CHUNK_VIDEOS), NUM_SEGMENTS),
                compression)


class FeatureFileWriter:
    """Writes rows into the files made by :func:`create_feature_files`.

    Args:
        out_dir (str): The HDF5 folder.
    """

    def __init__(self, out_dir: str) -> None:
        paths = hdf5_paths(out_dir)
        self._paths = [paths[kind] for kind in ('audio', 'visual', 'labels')]
        self._audio_file = h5py.File(paths['audio'], 'r+')
        self._visual_file = h5py.File(paths['visual'], 'r+')
        self._label_file = h5py.File(paths['labels'], 'r+')

    def write(self, start: int, audio: np.ndarray, audio_length: np.ndarray,
              visual: np.ndarray, labels: np.ndarray) -> None:
        """Write K rows from ``start``: audio [K, 10, 128], audio_length
        [K], visual [K, 10, 7, 7, 1024], labels [K, 10]."""
        stop = start + len(audio)
        self._audio_file['audio'][start:stop] = audio
        self._audio_file['audio_length'][start:stop] = audio_length
        self._visual_file['visual'][start:stop] = visual
        self._label_file['labels'][start:stop] = labels

    def sync(self) -> None:
        """Flush HDF5 buffers and make the written rows durable on disk."""
        for file in (self._audio_file, self._visual_file, self._label_file):
            file.flush()
        for path in self._paths:
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    def close(self) -> None:
        for file in (self._audio_file, self._visual_file, self._label_file):
            file.close()

    def __enter__(self) -> 'FeatureFileWriter':
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def write_index(out_dir: str, video_ids: Sequence[str]) -> None:
    """Write ``index.h5`` atomically; it marks the conversion finished."""
    path = hdf5_paths(out_dir)['index']
    partial = path + '.partial'
    with h5py.File(partial, 'w') as file:
        file.create_dataset(
            'video_id', data=np.array(video_ids, dtype=object),
            dtype=h5py.string_dtype())
        file.attrs['format_version'] = FORMAT_VERSION
    os.replace(partial, path)


def read_hdf5_index(hdf5_dir: str) -> List[str]:
    """Check the shapes and dtypes of a converted folder; return its ids.

    Reads only metadata and the video ids, not the features.
    """
    paths = hdf5_paths(hdf5_dir)
    with open_h5(paths['index']) as file:
        dataset = get_dataset(file, 'video_id', paths['index'])
        check_shape(dataset, (None, ), paths['index'], 'video_id')
        video_ids = [
            vid.decode() if isinstance(vid, bytes) else str(vid)
            for vid in read_all(dataset, paths['index'], 'video_id')
        ]
    for kind, row_shape in HDF5_ROW_SHAPES.items():
        with open_h5(paths[kind]) as file:
            dataset = get_dataset(file, kind, paths[kind])
            check_shape(dataset, (len(video_ids), ) + row_shape,
                        paths[kind], kind, note='one row per indexed video')
            if kind == 'labels':
                check_dtype(dataset, 'u', paths[kind], kind,
                            'unsigned integers (a binary event mask)')
            else:
                check_dtype(dataset, 'f', paths[kind], kind,
                            'floating-point values')
    return video_ids
