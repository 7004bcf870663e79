"""Check a VGGSound-AVEL100k (or -50k) data root and list every problem.

    python tools/data/vggsound_avel/verify.py DATA_ROOT [--layout zip|hdf5]

Checks the meta CSV (columns, split values, unknown categories, repeated
ids), the categories file (count, empty or repeated names) and then either
every zip (present, safely unpicklable, right shape and dtype, finite
values, binary labels) or the converted HDF5 folder (shapes, dtypes, every
video of the CSV indexed, finite values, binary labels). Prints each
problem on its own line and a summary; exits 0 when there is none, 1
otherwise. Nothing is written.
"""
import argparse
import os
import sys
from collections import Counter
from typing import List, Optional

from mmcpsp.datasets.errors import DataValidationError
from mmcpsp.datasets.h5_utils import (
    find_nonfinite_rows,
    get_dataset,
    iter_blocks,
    open_h5,
)
from mmcpsp.datasets.vggsound_avel.files import (
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_META_FILE,
    DEFAULT_ZIP_DIRS,
    NUM_CLASSES,
    SPLITS,
    fit_audio,
    list_zip_names,
    read_categories,
    read_meta_csv,
    to_channels_last,
    to_event_mask,
)
from mmcpsp.datasets.vggsound_avel.hdf5 import (
    DEFAULT_HDF5_DIR,
    hdf5_paths,
    is_converted,
    read_hdf5_index,
)
from mmcpsp.datasets.vggsound_avel.safe_pickle import load_zipped_array
from mmcpsp.utils import track

_ZIP_CHECKS = dict(audio=fit_audio, visual=to_channels_last,
                   label=to_event_mask)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check a VGGSound-AVEL data root')
    parser.add_argument('data_root')
    parser.add_argument('--meta-file', default=DEFAULT_META_FILE)
    parser.add_argument('--categories-file', default=DEFAULT_CATEGORIES_FILE)
    parser.add_argument(
        '--num-classes', type=int, default=NUM_CLASSES,
        help='lines the categories file must have (0: any)')
    parser.add_argument(
        '--layout', choices=['auto', 'zip', 'hdf5'], default='auto',
        help='what to check besides the CSV; auto: hdf5 when a finished '
        'conversion is in --hdf5-dir, else the zips')
    parser.add_argument('--hdf5-dir', default=DEFAULT_HDF5_DIR)
    for kind, folder in DEFAULT_ZIP_DIRS.items():
        parser.add_argument(f'--{kind}-dir', default=folder)
    parser.add_argument(
        '--max-videos', type=int, default=None,
        help='zip layout: read the zips of the first N videos only '
        '(presence is still checked for all)')
    return parser.parse_args(argv)


class Verifier:
    """Collects the problems of one data root."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.problems: List[str] = []

    def add(self, error: DataValidationError) -> None:
        self.problems.append(str(error))
        print(f'PROBLEM: {error}', flush=True)

    def check_zips(self, video_ids: List[str]) -> None:
        for kind, check in _ZIP_CHECKS.items():
            folder = os.path.join(self.args.data_root,
                                  getattr(self.args, f'{kind}_dir'))
            try:
                present = list_zip_names(folder)
            except DataValidationError as error:
                self.add(error)
                continue
            for video_id in video_ids:
                if f'{video_id}.zip' not in present:
                    self.add(DataValidationError(
                        os.path.join(folder, f'{video_id}.zip'),
                        expected='the zip of a video of the CSV',
                        found='no such file'))
            print(f'{kind}: {len(present)} zips in {folder}')
        to_read = video_ids[:self.args.max_videos]
        for video_id in track(to_read, len(to_read), 'Reading the zips',
                              'videos'):
            for kind, check in _ZIP_CHECKS.items():
                path = os.path.join(self.args.data_root,
                                    getattr(self.args, f'{kind}_dir'),
                                    f'{video_id}.zip')
                if not os.path.exists(path):
                    continue  # already reported
                try:
                    check(load_zipped_array(path), path)
                except DataValidationError as error:
                    self.add(error)

    def check_hdf5(self, hdf5_dir: str, video_ids: List[str]) -> None:
        try:
            indexed = read_hdf5_index(hdf5_dir)
        except DataValidationError as error:
            self.add(error)
            return
        paths = hdf5_paths(hdf5_dir)
        rows = {vid: row for row, vid in enumerate(indexed)}
        for video_id in video_ids:
            if video_id not in rows:
                self.add(DataValidationError(
                    paths['index'], key='video_id',
                    expected='every video of the CSV', found=f'no '
                    f'{video_id!r}'))
        print(f'hdf5: {len(indexed)} videos in {hdf5_dir}')
        for kind in ('audio', 'visual'):
            try:
                with open_h5(paths[kind]) as file:
                    dataset = get_dataset(file, kind, paths[kind])
                    count, first = find_nonfinite_rows(
                        dataset, paths[kind], kind, show_progress=True)
            except DataValidationError as error:  # an unreadable chunk
                self.add(error)
                continue
            if count:
                self.add(DataValidationError(
                    paths[kind], key=kind,
                    row=f'{first} (video {indexed[first]})',
                    expected='finite values',
                    found=f'NaN or infinite values in {count} row(s), the '
                    'first being this one'))
        try:
            self._check_hdf5_labels(paths['labels'], indexed)
        except DataValidationError as error:
            self.add(error)

    def _check_hdf5_labels(self, path: str, indexed: List[str]) -> None:
        with open_h5(path) as file:
            dataset = get_dataset(file, 'labels', path)
            for start, block in iter_blocks(dataset, path, 'labels'):
                for offset, mask in enumerate(block):
                    row = start + offset
                    try:
                        to_event_mask(mask, path, key='labels',
                                      row=f'{row} (video {indexed[row]})')
                    except DataValidationError as error:
                        self.add(error)

    def run(self) -> int:
        args = self.args
        categories_path = os.path.join(args.data_root, args.categories_file)
        meta_path = os.path.join(args.data_root, args.meta_file)
        try:
            class_names = read_categories(categories_path,
                                          args.num_classes or None, self.add)
        except DataValidationError as error:  # missing or unreadable
            self.add(error)
            class_names = None
        try:
            rows = read_meta_csv(meta_path, class_names, self.add)
        except DataValidationError as error:  # missing, or no header
            self.add(error)
            rows = []
        splits = Counter(row.split for row in rows)
        print(f'{meta_path}: {len(rows)} valid rows, ' + ', '.join(
            f'{split} {splits[split]}' for split in SPLITS) +
            f'; {len({row.class_index for row in rows})} categories used')
        if class_names is None:
            print('categories not checked: the categories file is unusable')
        video_ids = [row.video_id for row in rows]
        hdf5_dir = os.path.join(args.data_root, args.hdf5_dir)
        layout = args.layout
        if layout == 'auto':
            layout = 'hdf5' if is_converted(hdf5_dir) else 'zip'
        if video_ids:
            if layout == 'hdf5':
                self.check_hdf5(hdf5_dir, video_ids)
            else:
                self.check_zips(video_ids)
        if self.problems:
            print(f'{len(self.problems)} problem(s) found in {args.data_root}'
                  f' ({layout} layout)')
            return 1
        print(f'OK: {args.data_root} ({layout} layout) has no problem')
        return 0


def main(argv: Optional[List[str]] = None) -> int:
    return Verifier(parse_args(argv)).run()


if __name__ == '__main__':
    sys.exit(main())
