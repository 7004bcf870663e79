"""Synthetic LLP folders in exactly the released layout (never real data).

The six annotation files and ``feats/{vggish,res152,r2plus1d_18}/
<filename[:11]>.npy`` (float32 [10, 128], [80, 2048], [10, 512]), with
labels learnable from the features. Each video has 1 to 3 classes; each
class is an audio-only, a visual-only or an audio-visual event over a run
of seconds (sometimes two runs, i.e. two dense rows). Every class has an
audio, a frame and a clip prototype: a second's audio features are the
sum of the prototypes of the classes heard then, its 8 ResNet-152 frames
and its R(2+1)D clip the sum of those seen then, plus Gaussian noise
everywhere. Train videos get weak labels only, val and test videos also
their dense rows.

The release's quirks (avvp.md 2.5) are written on purpose, so that every
consumer meets them: ids starting with '-' or holding '_', a decimal
start time in a filename, a zero-length and a reversed ("9 0") dense row,
an orphan row in each dense file (a filename of no split), a class named
twice in a weak label, a val video without audio rows and a test video
without visual rows. The same seed writes the same bytes.
"""
import os
import shutil
import string
import time
from typing import Dict, List, Tuple

import numpy as np

from mmcpsp.datasets.constants import NUM_SEGMENTS, SPLITS
from mmcpsp.datasets.llp import annotations as ann
from mmcpsp.datasets.llp.classes import LLP_CLASSES
from mmcpsp.datasets.llp.files import (
    FEATURE_DIRS,
    FEATURE_SHAPES,
    FRAMES_PER_SEGMENT,
    feature_paths,
)
from mmcpsp.utils import Progress

MIN_VIDEOS = 10
_ID_ALPHABET = np.array(list(string.ascii_letters + string.digits + '-_'))
#: Audio-only, visual-only, audio-visual events.
_MODALITY_P = (0.25, 0.25, 0.5)
_NOISE = 0.5
_TWO_RUNS_P = 0.2
#: A dense row: (filename, onset, offset, class index).
DenseRow = Tuple[str, int, int, int]


class _Video:
    """One synthetic video: its filename, classes and per-second events."""

    def __init__(self, filename: str, classes: List[int]) -> None:
        self.filename = filename
        self.classes = classes
        self.heard = np.zeros((NUM_SEGMENTS, len(LLP_CLASSES)), bool)
        self.seen = np.zeros((NUM_SEGMENTS, len(LLP_CLASSES)), bool)
        self.audio_rows: List[DenseRow] = []
        self.visual_rows: List[DenseRow] = []

    def add_event(self, rng: np.random.Generator, class_index: int,
                  heard: bool) -> None:
        """A run (or two) of seconds in which the class is heard, or
        seen."""
        length = int(rng.integers(2, NUM_SEGMENTS + 1))
        onset = int(rng.integers(0, NUM_SEGMENTS - length + 1))
        runs = [(onset, onset + length)]
        if length >= 3 and rng.random() < _TWO_RUNS_P:
            gap = onset + int(rng.integers(1, length - 1))
            runs = [(onset, gap), (gap + 1, onset + length)]
        mask, rows = ((self.heard, self.audio_rows) if heard else
                      (self.seen, self.visual_rows))
        for start, stop in runs:
            mask[start:stop, class_index] = True
            rows.append((self.filename, start, stop, class_index))


def _video_ids(rng: np.random.Generator, num_videos: int) -> List[str]:
    ids: List[str] = []
    while len(ids) < num_videos:
        video_id = ''.join(rng.choice(_ID_ALPHABET, ann.ID_LENGTH))
        if video_id not in ids:
            ids.append(video_id)
    return ids


def _split_sizes(num_videos: int) -> Dict[str, int]:
    if num_videos < MIN_VIDEOS:
        raise ValueError(f'num_videos must be at least {MIN_VIDEOS}, got '
                         f'{num_videos}')
    held_out = max(2, round(0.1 * num_videos))
    return dict(train=num_videos - 2 * held_out, val=held_out,
                test=held_out)


def _draw_videos(rng: np.random.Generator,
                 sizes: Dict[str, int]) -> Dict[str, List[_Video]]:
    num_videos = sum(sizes.values())
    ids = _video_ids(rng, num_videos)
    first_val, first_test = sizes['train'], sizes['train'] + sizes['val']
    # The quirks of the release's filenames, at fixed places.
    ids[0] = '-' + ids[0][1:]
    ids[first_val] = '-' + ids[first_val][1:]
    ids[1] = ids[1][:4] + '_' + ids[1][5:]
    ids[first_test] = ids[first_test][:6] + '_' + ids[first_test][7:]
    videos = []
    for index, video_id in enumerate(ids):
        start = int(rng.integers(0, 300))
        decimal = index in (2, first_val + 1)
        filename = (f'{video_id}_{start}.8_{start + 10}.8' if decimal else
                    f'{video_id}_{start}_{start + 10}')
        num_classes = int(rng.integers(1, 4))
        classes = rng.choice(len(LLP_CLASSES), num_classes,
                             replace=False).tolist()
        video = _Video(filename, classes)
        # The last val video is never heard, the last test video never
        # seen (the release has val/test videos without audio rows, and
        # without visual rows).
        only = ('visual' if index == first_test - 1 else
                'audio' if index == num_videos - 1 else None)
        for class_index in classes:
            kind = int(rng.choice(3, p=_MODALITY_P))
            if only is not None:
                kind = 1 if only == 'visual' else 0
            if kind in (0, 2):
                video.add_event(rng, class_index, heard=True)
            if kind in (1, 2):
                video.add_event(rng, class_index, heard=False)
        videos.append(video)
    return dict(train=videos[:first_val], val=videos[first_val:first_test],
                test=videos[first_test:])


def _quirk_rows(splits: Dict[str, List[_Video]]
                ) -> Tuple[List[DenseRow], List[DenseRow]]:
    """Rows that add nothing: zero-length, reversed, and orphans."""
    first_val, first_test = splits['val'][0], splits['test'][0]
    audio = [(first_val.filename, 9, 9, first_val.classes[0]),
             (first_test.filename, 9, 0, first_test.classes[0]),
             (first_test.filename[1:], 3, 10, first_test.classes[0])]
    visual = [(first_val.filename[1:], 0, 10, first_val.classes[0])]
    return audio, visual


def _write_table(path: str, columns: Tuple[str, ...],
                 rows: List[Tuple]) -> None:
    lines = ['\t'.join(columns)]
    lines += ['\t'.join(str(field) for field in row) for row in rows]
    with open(path, 'w', newline='\n') as file:
        file.write('\n'.join(lines) + '\n')


def _weak_rows(videos: List[_Video], repeat_first: bool) -> List[Tuple]:
    rows = []
    for video in videos:
        names = [LLP_CLASSES[index] for index in video.classes]
        if repeat_first and not rows:
            names.append(names[0])  # "Clapping,Clapping" of the release
        rows.append((video.filename, ','.join(names)))
    return rows


def _write_annotations(out_dir: str,
                       splits: Dict[str, List[_Video]]) -> None:
    weak = {split: _weak_rows(splits[split], repeat_first=split == 'test')
            for split in SPLITS}
    for split, name in ann.SPLIT_FILES.items():
        _write_table(os.path.join(out_dir, name), ann.WEAK_COLUMNS,
                     weak[split])
    _write_table(os.path.join(out_dir, ann.FULL_FILE), ann.WEAK_COLUMNS,
                 [row for split in SPLITS for row in weak[split]])
    audio_quirks, visual_quirks = _quirk_rows(splits)
    evaluated = splits['val'] + splits['test']
    for name, rows, quirks in (
            (ann.AUDIO_EVAL_FILE, 'audio_rows', audio_quirks),
            (ann.VISUAL_EVAL_FILE, 'visual_rows', visual_quirks)):
        dense = [row for video in evaluated for row in getattr(video, rows)]
        dense += quirks
        _write_table(os.path.join(out_dir, name), ann.DENSE_COLUMNS,
                     [(filename, onset, offset, LLP_CLASSES[index])
                      for filename, onset, offset, index in dense])


def _write_features(out_dir: str, videos: List[_Video],
                    rng: np.random.Generator, show_progress: bool) -> int:
    """Write every video's three files; returns their bytes."""
    prototypes = {
        kind: rng.standard_normal((len(LLP_CLASSES), shape[-1]),
                                  dtype=np.float32)
        for kind, shape in FEATURE_SHAPES.items()
    }
    folders = {kind: os.path.join(out_dir, folder)
               for kind, folder in FEATURE_DIRS.items()}
    for folder in folders.values():
        os.makedirs(folder, exist_ok=True)
    progress = Progress(
        len(videos), f'Writing the features of {out_dir}', 'videos',
        enabled=None if show_progress else False, summary=show_progress)
    num_bytes = 0
    with progress:
        for video in videos:
            present = dict(
                audio=video.heard,
                visual=np.repeat(video.seen, FRAMES_PER_SEGMENT, axis=0),
                visual_st=video.seen)
            paths = feature_paths(folders, video.filename)
            for kind, shape in FEATURE_SHAPES.items():
                features = rng.standard_normal(shape, dtype=np.float32)
                features *= _NOISE
                # A few classes a video: adding their prototypes where
                # present is cheaper than a product with the 0/1 mask.
                for class_index in video.classes:
                    features[present[kind][:, class_index]] += \
                        prototypes[kind][class_index]
                np.save(paths[kind], features)
                num_bytes += os.path.getsize(paths[kind])
            progress.update()
    return num_bytes


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    os.makedirs(out_dir, exist_ok=True)
    names = [ann.FULL_FILE, ann.AUDIO_EVAL_FILE, ann.VISUAL_EVAL_FILE
             ] + list(ann.SPLIT_FILES.values())
    present = [name for name in names + list(FEATURE_DIRS.values())
               if os.path.exists(os.path.join(out_dir, name))]
    if present and not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds LLP files {present}; refusing to '
            'overwrite them (pass overwrite=True / --overwrite)')
    for name in present:
        path = os.path.join(out_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def generate_synthetic_llp(out_dir: str,
                           num_videos: int = 200,
                           seed: int = 0,
                           overwrite: bool = False,
                           show_progress: bool = False) -> dict:
    """Write a complete LLP folder with synthetic, learnable features.

    Args:
        out_dir (str): Output folder, created if missing.
        num_videos (int): Videos, at least 10: 80 % train, 10 % val, 10 %
            test (at least 2 each for val and test). Defaults to 200.
        seed (int): Seed of all random draws. Defaults to 0.
        overwrite (bool): Replace LLP files already in ``out_dir``.
            Defaults to False.
        show_progress (bool): Show the progress of the feature files.
            Defaults to False.

    Returns:
        dict: ``num_videos``, ``splits`` (split -> size), ``seconds``
        (write time) and ``bytes`` (of the feature files).
    """
    sizes = _split_sizes(num_videos)
    started = time.perf_counter()
    _prepare_out_dir(out_dir, overwrite)
    rng = np.random.default_rng(seed)
    splits = _draw_videos(rng, sizes)
    _write_annotations(out_dir, splits)
    num_bytes = _write_features(
        out_dir, [video for split in SPLITS for video in splits[split]], rng,
        show_progress)
    return dict(
        num_videos=num_videos,
        splits=sizes,
        seconds=time.perf_counter() - started,
        bytes=num_bytes)
