"""Pack the per-video zips of VGGSound-AVEL100k into chunked HDF5 files.

    python tools/data/vggsound_avel/convert_to_hdf5.py SRC DST [--float16]

SRC is a data root as distributed (meta CSV, categories file, zip folders);
DST receives audio.h5, visual.h5, labels.h5 and, once every row is written
and checked, index.h5 (see mmcpsp/datasets/vggsound_avel_hdf5.py). Use
DST = SRC/hdf5 for ``layout='auto'`` of VGGSoundAVELDataset to find it.

The source is only read. The conversion can be interrupted at any point
(Ctrl-C, kill, a crash) and run again with the same arguments: it goes on
from the last batch recorded in DST/.convert_progress.json, which is
replaced atomically after the batch's rows are on disk. The result is
identical to an uninterrupted run.
"""
import argparse
import hashlib
import json
import os
import sys
import time
from typing import Dict, List, Optional

import h5py
import numpy as np

from mmcpsp.datasets.errors import DataValidationError
from mmcpsp.datasets.vggsound_avel.files import (
    AUDIO_DIM,
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_META_FILE,
    DEFAULT_ZIP_DIRS,
    NUM_SEGMENTS,
    VISUAL_CHANNELS,
    VISUAL_SIZE,
    check_missing_zips,
    fit_audio,
    read_categories,
    read_meta_csv,
    to_channels_last,
    to_event_mask,
)
from mmcpsp.datasets.vggsound_avel.hdf5 import (
    FeatureFileWriter,
    create_feature_files,
    hdf5_paths,
    write_index,
)
from mmcpsp.datasets.vggsound_avel.safe_pickle import load_zipped_array
from mmcpsp.utils import Progress

PROGRESS_FILE = '.convert_progress.json'
EXIT_STOPPED = 3


class ConversionError(RuntimeError):
    """The output folder cannot be used as asked."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Pack VGGSound-AVEL per-video zips into HDF5 files')
    parser.add_argument('src', help='data root with the meta CSV and zips')
    parser.add_argument('dst', help='output folder, e.g. SRC/hdf5')
    parser.add_argument(
        '--float16', action='store_true',
        help='store the visual maps in float16 (half the disk; audio stays '
        'float32)')
    parser.add_argument(
        '--chunk-videos', type=int, default=1,
        help='videos per HDF5 chunk of the visual maps; 1 suits shuffled '
        'reading (default: 1)')
    parser.add_argument(
        '--batch-videos', type=int, default=64,
        help='videos read and written between two progress records '
        '(default: 64)')
    parser.add_argument('--meta-file', default=DEFAULT_META_FILE)
    parser.add_argument('--categories-file', default=DEFAULT_CATEGORIES_FILE)
    for kind, folder in DEFAULT_ZIP_DIRS.items():
        parser.add_argument(f'--{kind}-dir', default=folder,
                            help=f'folder of the {kind} zips in SRC')
    parser.add_argument(
        '--verify', choices=['spot', 'full'], default='spot',
        help='compare some (spot) or all (full) rows with the zips at the '
        'end (default: spot)')
    parser.add_argument(
        '--verify-samples', type=int, default=64,
        help='rows compared by --verify spot besides the first and last')
    parser.add_argument(
        '--stop-after', type=int, default=None,
        help='stop once this many videos are written (the run can be '
        'resumed); exit status 3')
    return parser.parse_args(argv)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for block in iter(lambda: file.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _save_progress(path: str, state: dict) -> None:
    partial = path + '.partial'
    with open(partial, 'w') as file:
        json.dump(state, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def _load_video(zip_paths: Dict[str, str]) -> tuple:
    raw_audio = load_zipped_array(zip_paths['audio'])
    audio = fit_audio(raw_audio, zip_paths['audio'])
    visual = to_channels_last(
        load_zipped_array(zip_paths['visual']), zip_paths['visual'])
    mask = to_event_mask(
        load_zipped_array(zip_paths['label']), zip_paths['label'])
    return audio, len(raw_audio), visual, mask


class Converter:
    """Converts one data root; see the module docstring."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dst = args.dst
        self.progress_path = os.path.join(args.dst, PROGRESS_FILE)
        meta_path = os.path.join(args.src, args.meta_file)
        categories_path = os.path.join(args.src, args.categories_file)
        rows = read_meta_csv(meta_path,
                             read_categories(categories_path, None))
        self.video_ids = [row.video_id for row in rows]
        self.zip_dirs = {
            kind: os.path.join(args.src, getattr(args, f'{kind}_dir'))
            for kind in DEFAULT_ZIP_DIRS
        }
        for folder in self.zip_dirs.values():
            check_missing_zips(folder, self.video_ids)
        self.visual_dtype = 'float16' if args.float16 else 'float32'
        self.first_row = 0
        # What must not change between an interrupted run and its resumption.
        self.fingerprint = dict(
            meta_sha256=_sha256(meta_path),
            num_videos=len(self.video_ids),
            visual_dtype=self.visual_dtype,
            chunk_videos=args.chunk_videos,
            zip_dirs={k: os.path.abspath(v)
                      for k, v in self.zip_dirs.items()})

    def zip_paths(self, row: int) -> Dict[str, str]:
        name = f'{self.video_ids[row]}.zip'
        return {
            kind: os.path.join(folder, name)
            for kind, folder in self.zip_dirs.items()
        }

    def _start(self) -> int:
        """Create or reopen the output; return the first row to write."""
        outputs = [p for p in hdf5_paths(self.dst).values()
                   if os.path.exists(p)]
        if os.path.exists(self.progress_path):
            with open(self.progress_path) as file:
                state = json.load(file)
            if state['fingerprint'] != self.fingerprint:
                raise ConversionError(
                    f'{self.progress_path} records an unfinished conversion '
                    'with other sources or options; use an empty output '
                    'folder, or delete this one to start again')
            if state['created']:
                print(f'Resuming after {state["done"]} of '
                      f'{len(self.video_ids)} videos')
                return state['done']
        elif outputs:
            raise ConversionError(
                f'{self.dst} already holds {", ".join(outputs)} from '
                'something other than an unfinished conversion; refusing to '
                'overwrite it')
        os.makedirs(self.dst, exist_ok=True)
        state = dict(fingerprint=self.fingerprint, created=False, done=0)
        _save_progress(self.progress_path, state)
        create_feature_files(self.dst, len(self.video_ids),
                             self.visual_dtype, self.args.chunk_videos)
        state['created'] = True
        _save_progress(self.progress_path, state)
        return 0

    def run(self) -> bool:
        """Convert; return False when stopped by ``--stop-after``."""
        num_videos = len(self.video_ids)
        if os.path.exists(hdf5_paths(self.dst)['index']):
            print(f'{self.dst} holds a finished conversion; nothing to do')
            return True
        start = self._start()
        self.first_row = start
        batch = self.args.batch_videos
        progress = Progress(num_videos - start, 'Converting', 'videos')
        with FeatureFileWriter(self.dst) as writer, progress:
            for first in range(start, num_videos, batch):
                last = min(first + batch, num_videos)
                videos = [
                    _load_video(self.zip_paths(row))
                    for row in range(first, last)
                ]
                writer.write(
                    first,
                    audio=np.stack([v[0] for v in videos]),
                    audio_length=np.array([v[1] for v in videos]),
                    visual=np.stack([v[2] for v in videos]).astype(
                        self.visual_dtype),
                    labels=np.stack([v[3] for v in videos]))
                writer.sync()
                _save_progress(
                    self.progress_path,
                    dict(fingerprint=self.fingerprint, created=True,
                         done=last))
                progress.update(last - first)
                stop_after = self.args.stop_after
                if stop_after is not None and last >= stop_after and (
                        last < num_videos):
                    return False
        self.verify()
        write_index(self.dst, self.video_ids)
        os.remove(self.progress_path)
        return True

    def verify(self) -> None:
        """Compare rows of the output with the zips; raise on a mismatch."""
        num_videos = len(self.video_ids)
        if self.args.verify == 'full':
            rows = range(num_videos)
        else:
            rng = np.random.default_rng(0)
            sample = rng.choice(
                num_videos, min(self.args.verify_samples, num_videos), False)
            rows = sorted({0, num_videos - 1, *sample.tolist()})
        paths = hdf5_paths(self.dst)
        expected_shapes = dict(
            audio=(num_videos, NUM_SEGMENTS, AUDIO_DIM),
            visual=(num_videos, NUM_SEGMENTS, VISUAL_SIZE, VISUAL_SIZE,
                    VISUAL_CHANNELS),
            labels=(num_videos, NUM_SEGMENTS))
        with h5py.File(paths['audio'], 'r') as audio_file, \
                h5py.File(paths['visual'], 'r') as visual_file, \
                h5py.File(paths['labels'], 'r') as label_file:
            datasets = dict(
                audio=audio_file['audio'], visual=visual_file['visual'],
                labels=label_file['labels'])
            for kind, dataset in datasets.items():
                if dataset.shape != expected_shapes[kind]:
                    raise ConversionError(
                        f'{paths[kind]}: expected shape '
                        f'{expected_shapes[kind]}, found {dataset.shape}')
            lengths = audio_file['audio_length']
            for row in rows:
                audio, length, visual, mask = _load_video(self.zip_paths(row))
                same = (
                    np.array_equal(datasets['audio'][row],
                                   audio.astype(np.float32))
                    and lengths[row] == length and np.array_equal(
                        datasets['visual'][row],
                        visual.astype(self.visual_dtype))
                    and np.array_equal(datasets['labels'][row], mask))
                if not same:
                    raise ConversionError(
                        f'row {row} (video {self.video_ids[row]}) of '
                        f'{self.dst} differs from its zips; delete the '
                        'output and convert again')
        print(f'Verified {len(rows)} of {num_videos} rows against the zips')


def disk_bytes(folder: str) -> int:
    """Bytes allocated on disk by the files of ``folder``."""
    return sum(
        os.stat(os.path.join(folder, name)).st_blocks * 512
        for name in os.listdir(folder)
        if os.path.isfile(os.path.join(folder, name)))


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    try:
        converter = Converter(args)
        finished = converter.run()
    except (DataValidationError, ConversionError) as error:
        print(f'Error: {error}', file=sys.stderr)
        return 2 if isinstance(error, DataValidationError) else 1
    seconds = time.perf_counter() - began
    if not finished:
        print(f'Stopped as asked after {seconds:.1f} s; run the same command '
              'again to resume')
        return EXIT_STOPPED
    num_videos = len(converter.video_ids)
    converted = num_videos - converter.first_row
    used = disk_bytes(args.dst)
    print(f'{args.dst}: {num_videos} videos, {used / 1e9:.3f} GB on disk '
          f'({used / num_videos * 1e4 / 1e9:.2f} GB per 10k videos)')
    if converted:
        print(f'This run converted {converted} videos in {seconds:.1f} s '
              f'({seconds / converted * 1e4 / 60:.1f} min per 10k videos)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
