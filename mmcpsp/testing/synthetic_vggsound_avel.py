"""Synthetic data in the distributed VGGSound-AVEL100k format.

For tests and benchmarks without the real 200 GB of features. Events are
learnable: an event segment carries its class's audio prototype (plus
noise) and its class's sparse visual prototype at three regions of the 7x7
map; a background segment carries unrelated audio noise and one of a few
class-free visual distractors at one region. Visual maps are mostly zero
with values in {0.5, 1, 1.5, 2}, exact in float16, so that gzip packs a
video's 10 x 7 x 7 x 1024 map into a few kilobytes and 100k videos fit in
well under a gigabyte.

Every video is drawn from its own seeded generator, so the zips and the
HDF5 files of the same seed hold the same values, written in any order.
About one video in five has an audio length other than 10 (7 to 12
segments) to exercise padding and truncation; pickles rotate through
protocols 2 to 5 and label masks through the shapes [1, 10] and [10].
"""
import csv
import io
import os
import pickle
import zipfile
from typing import List, Optional, Tuple

import numpy as np

from mmcpsp.datasets.constants import NUM_SEGMENTS
from mmcpsp.datasets.vggsound_avel.files import (
    AUDIO_DIM,
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_META_FILE,
    DEFAULT_ZIP_DIRS,
    NUM_CLASSES,
    VISUAL_CHANNELS,
    VISUAL_SIZE,
    fit_audio,
)
from mmcpsp.datasets.vggsound_avel.hdf5 import (
    DEFAULT_HDF5_DIR,
    FeatureFileWriter,
    create_feature_files,
    write_index,
)
from mmcpsp.utils import Progress, track

LAYOUTS = ('zip', 'hdf5', 'both')
_ID_ALPHABET = np.array(
    list('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'))
_PROTOTYPE_CHANNELS = 24
_EVENT_REGIONS = 3
_NUM_DISTRACTORS = 16
_SHORT_OR_LONG_AUDIO = (7, 8, 9, 11, 12)


def synthetic_class_names(num_classes: int = NUM_CLASSES) -> List[str]:
    """Class names; every tenth holds a comma to exercise CSV quoting."""
    return [
        f'synthetic event {index:03d}' +
        (', variant' if index % 10 == 9 else '')
        for index in range(num_classes)
    ]


class SyntheticVGGSoundAVEL:
    """A synthetic VGGSound-AVEL dataset, drawn deterministically.

    Args:
        num_videos (int): Number of videos.
        num_classes (int): Number of event classes. Defaults to 141.
        seed (int): Seed of every draw. Defaults to 0.
    """

    def __init__(self,
                 num_videos: int,
                 num_classes: int = NUM_CLASSES,
                 seed: int = 0) -> None:
        self.num_videos = num_videos
        self.num_classes = num_classes
        self.seed = seed
        rng = np.random.default_rng([seed, 0])
        self.class_names = synthetic_class_names(num_classes)
        self.audio_prototypes = rng.normal(
            size=(num_classes, AUDIO_DIM)).astype(np.float32)
        # float16 holds these values exactly and is converted from far
        # faster than float32 is converted to it.
        self.visual_prototypes = self._sparse_vectors(rng, num_classes)
        self.distractors = self._sparse_vectors(rng, _NUM_DISTRACTORS)
        self.video_ids = self._draw_ids(rng, num_videos)
        self.class_indices = rng.integers(0, num_classes, num_videos)
        # 3 of 5 videos train, 1 val, 1 test, as in the real 60/20/20 split.
        self.splits = [('train', 'train', 'train', 'val', 'test')[i % 5]
                       for i in range(num_videos)]

    @staticmethod
    def _sparse_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
        vectors = np.zeros((count, VISUAL_CHANNELS), np.float16)
        for vector in vectors:
            channels = rng.choice(VISUAL_CHANNELS, _PROTOTYPE_CHANNELS, False)
            vector[channels] = rng.integers(1, 5, _PROTOTYPE_CHANNELS) / 2
        return vectors

    @staticmethod
    def _draw_ids(rng: np.random.Generator, count: int) -> List[str]:
        ids: List[str] = []
        seen = set()
        while len(ids) < count:
            letters = _ID_ALPHABET[rng.integers(0, 64, (count, 11))]
            for video_id in map(''.join, letters):
                if video_id not in seen and len(ids) < count:
                    seen.add(video_id)
                    ids.append(video_id)
        return ids

    def video(self, index: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arrays of video ``index`` as the zips hold them.

        Returns:
            tuple: audio float32 [t, 128], visual float16 [10, 7, 7, 1024]
            (channels last; the zip stores its channels-first transpose in
            float32) and the event mask int64 [10].
        """
        rng = np.random.default_rng([self.seed, 1, index])
        class_index = self.class_indices[index]
        start = rng.integers(0, NUM_SEGMENTS)
        stop = rng.integers(start + 1, NUM_SEGMENTS + 1)
        mask = np.zeros(NUM_SEGMENTS, np.int64)
        mask[start:stop] = 1
        is_event = mask.astype(bool)

        noise = rng.normal(size=(NUM_SEGMENTS, AUDIO_DIM)).astype(np.float32)
        audio = np.where(is_event[:, None],
                         self.audio_prototypes[class_index] + 0.5 * noise,
                         noise)
        length = NUM_SEGMENTS
        if rng.random() < 0.2:
            length = int(rng.choice(_SHORT_OR_LONG_AUDIO))
        if length > NUM_SEGMENTS:
            extra = rng.normal(size=(length - NUM_SEGMENTS, AUDIO_DIM))
            audio = np.concatenate([audio, extra.astype(np.float32)])
        audio = audio[:length]

        visual = np.zeros(
            (NUM_SEGMENTS, VISUAL_SIZE * VISUAL_SIZE, VISUAL_CHANNELS),
            np.float16)
        regions = rng.choice(VISUAL_SIZE * VISUAL_SIZE, _EVENT_REGIONS, False)
        distractors = rng.integers(0, _NUM_DISTRACTORS, NUM_SEGMENTS)
        distractor_regions = rng.integers(0, VISUAL_SIZE * VISUAL_SIZE,
                                          NUM_SEGMENTS)
        for segment in range(NUM_SEGMENTS):
            if is_event[segment]:
                visual[segment, regions] = self.visual_prototypes[class_index]
            else:
                visual[segment, distractor_regions[segment]] = (
                    self.distractors[distractors[segment]])
        visual = visual.reshape(NUM_SEGMENTS, VISUAL_SIZE, VISUAL_SIZE,
                                VISUAL_CHANNELS)
        return audio, visual, mask

    def write_meta(self, out_dir: str,
                   meta_file: str = DEFAULT_META_FILE,
                   categories_file: str = DEFAULT_CATEGORIES_FILE) -> None:
        """Write the meta CSV and the categories file."""
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, categories_file), 'w',
                  encoding='utf-8') as file:
            file.write(''.join(f'{name}\n' for name in self.class_names))
        with open(os.path.join(out_dir, meta_file), 'w', encoding='utf-8',
                  newline='') as file:
            writer = csv.writer(file)
            writer.writerow(['video_id', 'category', 'split'])
            for video_id, class_index, split in zip(
                    self.video_ids, self.class_indices, self.splits):
                writer.writerow(
                    [video_id, self.class_names[class_index], split])

    def write_zips(self, out_dir: str, start: int = 0,
                   stop: Optional[int] = None,
                   show_progress: bool = False) -> None:
        """Write the zips of videos [start, stop) under ``out_dir``."""
        folders = {
            kind: os.path.join(out_dir, folder)
            for kind, folder in DEFAULT_ZIP_DIRS.items()
        }
        for folder in folders.values():
            os.makedirs(folder, exist_ok=True)
        indices = range(start, stop or self.num_videos)
        for index in track(indices, len(indices), 'Writing zips', 'videos',
                           enabled=None if show_progress else False,
                           summary=show_progress):
            audio, visual, mask = self.video(index)
            label = mask.reshape(1, NUM_SEGMENTS) if index % 2 else (
                mask.astype(np.float32))
            arrays = dict(
                audio=audio,
                visual=visual.transpose(0, 3, 1, 2).astype(np.float32),
                label=label)
            video_id = self.video_ids[index]
            for kind, array in arrays.items():
                _write_zip(
                    os.path.join(folders[kind], f'{video_id}.zip'),
                    f'{video_id}.pkl', array, protocol=2 + index % 4)

    def write_hdf5(self, hdf5_dir: str,
                   batch_videos: int = 64,
                   show_progress: bool = False) -> None:
        """Write the converted layout directly: float16 visual maps, gzip.

        Holds the same values as converting :meth:`write_zips`'s output
        with ``--float16``.
        """
        create_feature_files(
            hdf5_dir, self.num_videos, visual_dtype='float16',
            compression='gzip')
        batch_videos = min(batch_videos, self.num_videos)
        audio = np.empty((batch_videos, NUM_SEGMENTS, AUDIO_DIM), np.float32)
        lengths = np.empty(batch_videos, np.int32)
        visual = np.empty((batch_videos, NUM_SEGMENTS, VISUAL_SIZE,
                           VISUAL_SIZE, VISUAL_CHANNELS), np.float16)
        labels = np.empty((batch_videos, NUM_SEGMENTS), np.uint8)
        progress = Progress(
            self.num_videos, 'Writing HDF5', 'videos',
            enabled=None if show_progress else False, summary=show_progress)
        with FeatureFileWriter(hdf5_dir) as writer, progress:
            for start in range(0, self.num_videos, batch_videos):
                count = min(batch_videos, self.num_videos - start)
                for offset in range(count):
                    raw_audio, visual[offset], labels[offset] = self.video(
                        start + offset)
                    audio[offset] = fit_audio(raw_audio, '')
                    lengths[offset] = len(raw_audio)
                writer.write(start, audio[:count], lengths[:count],
                             visual[:count], labels[:count])
                progress.update(count)
            writer.sync()
        write_index(hdf5_dir, self.video_ids)


def _write_zip(path: str, member: str, array: np.ndarray,
               protocol: int) -> None:
    buffer = io.BytesIO()
    pickle.dump(array, buffer, protocol=protocol)
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_DEFLATED,
                         compresslevel=1) as archive:
        archive.writestr(member, buffer.getvalue())


def generate_synthetic_vggsound_avel(
        out_dir: str,
        num_videos: int,
        layout: str = 'zip',
        seed: int = 0,
        num_classes: int = NUM_CLASSES,
        show_progress: bool = False) -> SyntheticVGGSoundAVEL:
    """Write a synthetic dataset in the distributed format.

    Args:
        out_dir (str): The data root to create.
        num_videos (int): Number of videos.
        layout (str): ``'zip'`` (the distributed zips), ``'hdf5'`` (the
            converted folder ``<out_dir>/hdf5`` directly, gzip-compressed)
            or ``'both'``. Defaults to ``'zip'``.
        seed (int): Seed of every draw. Defaults to 0.
        num_classes (int): Number of classes. Defaults to 141.
        show_progress (bool): Show the progress of the writing (rate and
            ETA on a terminal, a summary line otherwise). Defaults to
            False.

    Returns:
        SyntheticVGGSoundAVEL: The generator, for checking values.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    synthetic = SyntheticVGGSoundAVEL(num_videos, num_classes, seed)
    synthetic.write_meta(out_dir)
    if layout in ('zip', 'both'):
        synthetic.write_zips(out_dir, show_progress=show_progress)
    if layout in ('hdf5', 'both'):
        synthetic.write_hdf5(
            os.path.join(out_dir, DEFAULT_HDF5_DIR),
            show_progress=show_progress)
    return synthetic
