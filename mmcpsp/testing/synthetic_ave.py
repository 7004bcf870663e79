"""Synthetic AVE folders in exactly the distributed file format.

The features carry learnable audio-visual events: every class has an
audio prototype [128] and a visual prototype [512]. In an event segment
the audio is the class's audio prototype plus noise and the video's object
regions (one or two of the 7 x 7) show the class's visual prototype plus
noise. Background segments hold distractors that only audio-visual
correspondence tells apart from events: the object visible but silent, the
sound heard with no object in view, the sound of another class, or
nothing. Background-only (noisy) videos hold distractors only.

To stay cheap at 4,143 videos (the 7.7 GiB of float64 visual features of
the release), values sit on a 1/16 grid and all regions but the object's
are zero. With compression, the visual features are chunked one region of
one video per chunk ([1, 10, 1, 1, 512]); chunks of empty regions are
never written (HDF5 reads them as zeros), so only the object regions are
compressed and stored. ``compression='none'`` writes contiguous, dense
files like the release.
"""
import os
import shutil
import string
import time
from typing import Dict, List, Optional, Tuple

import h5py
import numpy as np

from mmcpsp.datasets.ave import files
from mmcpsp.datasets.ave.annotations import (
    ANNOTATION_FIELDS,
    ANNOTATION_FILE,
    AVE_CATEGORIES,
    AVEAnnotations,
    parse_annotations,
)
from mmcpsp.datasets.constants import NUM_SEGMENTS, SPLITS
from mmcpsp.utils import Progress

NUM_NOISY_VIDEOS = 178
COMPRESSIONS = ('none', 'gzip', 'lzf')
#: Files copied byte for byte from ``meta_dir``.
META_FILES = (ANNOTATION_FILE, files.VIDEO_LABEL_FILE) + tuple(
    files.order_file(split) for split in SPLITS)

_GRID = 16.0
_NUM_REGIONS = 7 * 7
_AUDIO_DIM = files.AUDIO_ROW_SHAPE[-1]
_VISUAL_DIM = files.VISUAL_ROW_SHAPE[-1]
_AUDIO_SUPPORT = 24
_VISUAL_SUPPORT = 32
_EMPTY = -1
# Background segment kinds: (audio source, visual source), each 'own' (the
# video's class), 'other' (another class) or None; and their frequency.
_DISTRACTORS = ((None, 'own'), ('own', None), ('other', 'own'), (None, None))
_DISTRACTOR_P = (0.3, 0.3, 0.2, 0.2)
_VIDEOS_PER_BLOCK = 256


class _Prototypes:
    """Sparse, non-negative class patterns on the value grid."""

    def __init__(self, rng: np.random.Generator, num_classes: int) -> None:
        self.audio = self._make(rng, num_classes, _AUDIO_DIM, _AUDIO_SUPPORT)
        self.visual = self._make(rng, num_classes, _VISUAL_DIM,
                                 _VISUAL_SUPPORT)

    @staticmethod
    def _make(rng: np.random.Generator, num_classes: int, dim: int,
              support: int) -> np.ndarray:
        # One extra all-zero row: index _EMPTY (-1) selects nothing.
        protos = np.zeros((num_classes + 1, dim))
        for proto in protos[:-1]:
            dims = rng.choice(dim, support, replace=False)
            proto[dims] = rng.integers(8, 33, support) / _GRID
        return protos


def _segment_sources(rng: np.random.Generator, classes: np.ndarray,
                     event_mask: np.ndarray,
                     num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Class shown per segment in audio and in vision (-1: none).

    Returns:
        tuple[np.ndarray, np.ndarray]: int64 [N, T] each.
    """
    shape = event_mask.shape
    own = np.broadcast_to(classes[:, None], shape)
    other = (own + rng.integers(1, num_classes, shape)) % num_classes
    kinds = rng.choice(len(_DISTRACTORS), size=shape, p=_DISTRACTOR_P)
    audio_src = np.full(shape, _EMPTY, np.int64)
    visual_src = np.full(shape, _EMPTY, np.int64)
    for kind, (audio_kind, visual_kind) in enumerate(_DISTRACTORS):
        selected = ~event_mask & (kinds == kind)
        for target, source in ((audio_src, audio_kind),
                               (visual_src, visual_kind)):
            if source is not None:
                values = own if source == 'own' else other
                target[selected] = values[selected]
    audio_src[event_mask] = own[event_mask]
    visual_src[event_mask] = own[event_mask]
    return audio_src, visual_src


def _create(h5_file: h5py.File, name: str, data_or_shape, dtype,
            compression: str, chunks=True) -> h5py.Dataset:
    if isinstance(data_or_shape, np.ndarray):
        kwargs = dict(data=data_or_shape.astype(dtype))
    else:
        kwargs = dict(shape=data_or_shape, dtype=dtype)
    if compression != 'none':
        kwargs.update(
            chunks=chunks,
            shuffle=True,
            compression=compression,
            compression_opts=1 if compression == 'gzip' else None)
    return h5_file.create_dataset(name, **kwargs)


def _write_features(out_dir: str, audio_name: str, visual_name: str,
                    classes: np.ndarray, event_mask: np.ndarray,
                    protos: _Prototypes, rng: np.random.Generator,
                    num_classes: int, compression: str,
                    show_progress: bool = False) -> None:
    num_videos = len(classes)
    audio_src, visual_src = _segment_sources(rng, classes, event_mask,
                                             num_classes)
    audio = protos.audio[audio_src] + rng.integers(
        0, 4, audio_src.shape + (_AUDIO_DIM, )) / _GRID
    with h5py.File(os.path.join(out_dir, audio_name), 'w') as h5_file:
        _create(h5_file, files.FEATURE_KEY, audio, np.float64, compression)
    # One or two object regions per video, fixed over its ten seconds.
    num_objects = rng.integers(1, 3, num_videos)
    regions = [
        rng.choice(_NUM_REGIONS, count, replace=False)
        for count in num_objects
    ]
    shape = (num_videos, ) + files.VISUAL_ROW_SHAPE
    with h5py.File(os.path.join(out_dir, visual_name), 'w') as h5_file:
        chunks = (1, NUM_SEGMENTS, 1, 1, _VISUAL_DIM)
        visual = _create(h5_file, files.FEATURE_KEY, shape, np.float64,
                         compression, chunks)
        progress = Progress(
            num_videos, f'Writing {visual_name}', 'videos',
            enabled=None if show_progress else False, summary=show_progress)
        with progress:
            for start in range(0, num_videos, _VIDEOS_PER_BLOCK):
                stop = min(num_videos, start + _VIDEOS_PER_BLOCK)
                # [B, T, 512]: the object's pattern, noise on its support.
                patterns = protos.visual[visual_src[start:stop]]
                patterns += (patterns > 0) * rng.integers(
                    -2, 3, patterns.shape) / _GRID
                _place_objects(visual, start, patterns, regions[start:stop],
                               contiguous=compression == 'none')
                progress.update(stop - start)


def _place_objects(visual: h5py.Dataset, start: int, patterns: np.ndarray,
                   regions: List[np.ndarray], contiguous: bool) -> None:
    """Write videos ``start``... : each pattern [T, 512] on its regions."""
    if contiguous:
        # One write of whole rows: contiguous files are slow to scatter.
        block = np.zeros((len(patterns), ) + files.VISUAL_ROW_SHAPE)
        for offset, video_regions in enumerate(regions):
            for region in video_regions:
                block[offset, :, region // 7, region % 7] = patterns[offset]
        visual[start:start + len(patterns)] = block
        return
    # Chunked files: only the chunks of the object regions are written.
    for offset, video_regions in enumerate(regions):
        for region in video_regions:
            visual[start + offset, :, region // 7,
                   region % 7] = patterns[offset]


def _synthetic_annotations(rng: np.random.Generator,
                           num_videos: int) -> List[str]:
    if num_videos < len(AVE_CATEGORIES):
        raise ValueError(
            f'num_videos must be at least {len(AVE_CATEGORIES)} (one video '
            f'per category), got {num_videos}')
    # Grouped by category in AVE order, as in the release, so that the
    # order of first appearance is the order of AVE_CATEGORIES.
    classes = np.sort(
        np.concatenate([
            np.arange(len(AVE_CATEGORIES)),
            rng.integers(0, len(AVE_CATEGORIES),
                         num_videos - len(AVE_CATEGORIES))
        ]))
    alphabet = np.array(list(string.ascii_letters + string.digits + '-_'))
    lines = []
    for class_index in classes:
        video_id = ''.join(rng.choice(alphabet, 11))
        if rng.random() < 0.3:
            start, end = 0, NUM_SEGMENTS
        else:
            length = int(rng.integers(2, NUM_SEGMENTS))
            start = int(rng.integers(0, NUM_SEGMENTS - length + 1))
            end = start + length
        lines.append(f'{AVE_CATEGORIES[class_index]}&{video_id}&good&'
                     f'{start}&{end}')
    return lines


def _synthetic_orders(rng: np.random.Generator,
                      num_videos: int) -> Dict[str, np.ndarray]:
    rows = rng.permutation(num_videos).astype(np.int64)
    num_val = max(1, round(0.1 * num_videos))
    num_train = num_videos - 2 * num_val
    return dict(
        train=rows[:num_train],
        val=rows[num_train:num_train + num_val],
        test=rows[num_train + num_val:])


def _one_hot(indices: np.ndarray, num_columns: int) -> np.ndarray:
    return np.eye(num_columns, dtype=np.float32)[indices]


def _write_labels(out_dir: str, annotations: AVEAnnotations,
                  with_video_labels: bool, right_labels: bool,
                  compression: str) -> None:
    num_classes = annotations.num_classes
    mask = annotations.event_mask()
    share = mask.mean(axis=1)
    probs = np.zeros((annotations.num_rows, num_classes + 1), np.float32)
    probs[np.arange(annotations.num_rows), annotations.class_indices] = share
    probs[:, num_classes] = 1 - share
    arrays = {
        files.SEGMENT_LABEL_FILES[int(right_labels)]:
        _one_hot(annotations.segment_labels(), num_classes + 1),
        files.EVENT_MASK_FILE: mask.astype(np.float32),
        files.PROB_LABEL_FILE: probs,
    }
    if with_video_labels:
        arrays[files.VIDEO_LABEL_FILE] = _one_hot(annotations.class_indices,
                                                  num_classes + 1)
    for name, array in arrays.items():
        with h5py.File(os.path.join(out_dir, name), 'w') as h5_file:
            _create(h5_file, files.FEATURE_KEY, array, np.float32,
                    compression)


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    os.makedirs(out_dir, exist_ok=True)
    ours = set(META_FILES) | {
        files.AUDIO_FILE, files.VISUAL_FILE, files.EVENT_MASK_FILE,
        files.PROB_LABEL_FILE
    } | set(files.SEGMENT_LABEL_FILES) | set(files.NOISY_FILES)
    present = sorted(ours & set(os.listdir(out_dir)))
    if present and not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds AVE files {present}; refusing to '
            'overwrite them (pass overwrite=True / --overwrite)')
    for name in present:
        os.remove(os.path.join(out_dir, name))


def disk_usage(folder: str) -> int:
    """Bytes allocated on disk by the files of ``folder``."""
    return sum(
        os.stat(os.path.join(folder, name)).st_blocks * 512
        for name in os.listdir(folder)
        if os.path.isfile(os.path.join(folder, name)))


def generate_synthetic_ave(out_dir: str,
                           num_videos: int = 400,
                           meta_dir: Optional[str] = None,
                           seed: int = 0,
                           compression: str = 'lzf',
                           right_labels: bool = False,
                           annotation_header: bool = False,
                           num_noisy: int = NUM_NOISY_VIDEOS,
                           overwrite: bool = False,
                           show_progress: bool = False) -> dict:
    """Write a complete AVE folder with synthetic, learnable features.

    Args:
        out_dir (str): Output folder, created if missing.
        num_videos (int): Number of synthetic videos (at least 28), ignored
            with ``meta_dir``. Defaults to 400.
        meta_dir (str, optional): Folder with the real Annotations.txt,
            order files and mil_labels.h5, copied byte for byte; the
            features follow their annotations (4,143 videos). Defaults to
            None.
        seed (int): Seed of all random draws. Defaults to 0.
        compression (str): ``'none'`` (contiguous, like the release),
            ``'gzip'`` (level 1) or ``'lzf'``. Defaults to ``'lzf'``.
        right_labels (bool): Name the segment labels right_labels.h5
            (PSP/CPSP) instead of labels.h5. Defaults to False.
        annotation_header (bool): Start the synthetic Annotations.txt with
            the header line. Defaults to False.
        num_noisy (int): Background-only videos. Defaults to 178.
        overwrite (bool): Replace AVE files already in ``out_dir``.
            Defaults to False.
        show_progress (bool): Show the progress of the visual features
            (rate and ETA on a terminal, a summary line otherwise).
            Defaults to False.

    Returns:
        dict: ``num_videos``, ``splits`` (split -> size), ``num_noisy``,
        ``seconds`` (write time) and ``disk_bytes``.
    """
    if compression not in COMPRESSIONS:
        raise ValueError(
            f'compression must be one of {COMPRESSIONS}, got {compression!r}')
    if num_noisy < 1:
        raise ValueError(f'num_noisy must be at least 1, got {num_noisy}')
    started = time.perf_counter()
    _prepare_out_dir(out_dir, overwrite)
    rng = np.random.default_rng(seed)
    annotation_path = os.path.join(out_dir, ANNOTATION_FILE)
    if meta_dir is not None:
        for name in META_FILES:
            shutil.copyfile(os.path.join(meta_dir, name),
                            os.path.join(out_dir, name))
    else:
        lines = _synthetic_annotations(rng, num_videos)
        if annotation_header:
            lines.insert(0, '&'.join(ANNOTATION_FIELDS))
        with open(annotation_path, 'w') as file:
            file.write('\n'.join(lines) + '\n')
        for split, order in _synthetic_orders(rng, num_videos).items():
            path = os.path.join(out_dir, files.order_file(split))
            with h5py.File(path, 'w') as h5_file:
                h5_file.create_dataset(files.ORDER_KEY, data=order)
    annotations = parse_annotations(annotation_path)
    num_classes = annotations.num_classes
    _write_labels(out_dir, annotations, meta_dir is None, right_labels,
                  compression)

    protos = _Prototypes(rng, num_classes)
    _write_features(out_dir, files.AUDIO_FILE, files.VISUAL_FILE,
                    annotations.class_indices, annotations.event_mask(),
                    protos, rng, num_classes, compression, show_progress)
    noisy_classes = rng.integers(0, num_classes, num_noisy)
    _write_features(out_dir, files.NOISY_AUDIO_FILE, files.NOISY_VISUAL_FILE,
                    noisy_classes,
                    np.zeros((num_noisy, NUM_SEGMENTS), bool), protos,
                    rng, num_classes, compression, show_progress)
    with h5py.File(os.path.join(out_dir, files.NOISY_LABEL_FILE),
                   'w') as h5_file:
        _create(h5_file, files.FEATURE_KEY,
                _one_hot(np.full(num_noisy, num_classes), num_classes + 1),
                np.float32, compression)

    splits = {
        split: len(
            files.read_order(
                os.path.join(out_dir, files.order_file(split)),
                annotations.num_rows))
        for split in SPLITS
    }
    return dict(
        num_videos=annotations.num_rows,
        splits=splits,
        num_noisy=num_noisy,
        seconds=time.perf_counter() - started,
        disk_bytes=disk_usage(out_dir))
