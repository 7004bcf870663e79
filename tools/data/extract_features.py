"""Extract VGGish audio and VGG-19 pool5 visual features from raw videos.

Writes what the feature datasets read:

- ``--layout ave``: OUT/audio_feature.h5 [N, 10, 128] and
  OUT/visual_feature.h5 [N, 10, 7, 7, 512] (key ``avadataset``, float32,
  one row per line of --annotations, in its order), which AVEDataset reads
  beside the release's other files;
- ``--layout npy``: OUT/audio/<name>.npy [T, 128] and
  OUT/visual/<name>.npy [T, 7, 7, 512], T the video's own number of
  one-second segments (any length).

Resumable: each video's features are written atomically as soon as they
are computed (for ``ave`` into OUT/.parts/, gathered into the HDF5 files,
also written atomically, once every video is done), so a run that is
stopped at any moment continues where it was and never takes a half-written
file for a finished one. A video that fails is listed at the end and in
OUT/failures.txt; the others still finish.

Examples::

    python tools/data/extract_features.py data/AVE_Dataset/AVE data/ave \\
        --annotations data/AVE_Dataset/Annotations.txt \\
        --audio-weights vggish-10086976.pth \\
        --visual-weights vgg19-dcbb9e9d.pth --device cuda --batch-size 160
    python tools/data/extract_features.py my_videos/ my_features/ \\
        --layout npy --audio-weights ... --visual-weights ...
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from typing import List, Optional, Sequence, Tuple

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from mmcpsp.apis import AVFeatureExtractor, decode_inputs  # noqa: E402
from mmcpsp.datasets.ave import parse_annotations  # noqa: E402
from mmcpsp.datasets.ave.files import (  # noqa: E402
    AUDIO_FILE,
    FEATURE_KEY,
    VISUAL_FILE,
)
from mmcpsp.datasets.constants import NUM_SEGMENTS  # noqa: E402
from mmcpsp.datasets.errors import DataValidationError  # noqa: E402
from mmcpsp.utils import Progress, atomic_path, atomic_write  # noqa: E402

VIDEO_EXTENSIONS = ('.mp4', '.mkv', '.webm', '.avi', '.mov', '.flv', '.m4v')
FAILURES_FILE = 'failures.txt'
PARTS_DIR = '.parts'
KINDS = ('audio', 'visual')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract VGGish audio and VGG-19 pool5 visual features '
        'from videos (see tools/data/README.md).')
    parser.add_argument('video_dir', help='folder of the videos')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--audio-weights', required=True,
                        help="the PyTorch VGGish port's vggish-10086976.pth")
    parser.add_argument('--visual-weights', required=True,
                        help="torchvision's vgg19-dcbb9e9d.pth")
    parser.add_argument(
        '--annotations',
        help='Annotations.txt: videos and row order (VIDEO_DIR/<VideoID>.*); '
        'required with --layout ave; without it every video of VIDEO_DIR')
    parser.add_argument('--layout', choices=('ave', 'npy'), default='ave')
    parser.add_argument('--frames-per-segment', type=int, default=16,
                        help='frames averaged per second (AVE: 16)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--batch-size', type=int, default=16,
                        help='frames per VGG-19 pass (a whole AVE video at '
                        'N=16 is 160)')
    parser.add_argument('--workers', type=int, default=2,
                        help='processes decoding videos ahead of the networks')
    parser.add_argument(
        '--frame-size', type=int, default=224,
        help='side of the frames given to VGG-19 (224: 7 x 7 maps, what '
        'AVEDataset reads); smaller sizes are for quick trials')
    args = parser.parse_args(argv)
    if args.layout == 'ave' and args.annotations is None:
        parser.error('--layout ave needs --annotations: the rows of the HDF5 '
                     'files follow its lines')
    return args


def list_videos(video_dir: str, annotations: Optional[str]
                ) -> Tuple[List[Tuple[str, str]], List[str]]:
    """The videos to extract, and the video of each row.

    Returns:
        tuple: (name, path) per distinct video, in Annotations.txt's order
        or by name; and the name of each row (Annotations.txt names some
        videos on two lines, one per category: both rows get its
        features). A video named in the annotations but absent gets the
        path it would have (VIDEO_DIR/<id>.mp4), so that it fails as a
        missing file.
    """
    found = {}
    for file_name in sorted(os.listdir(video_dir)):
        stem, extension = osp.splitext(file_name)
        if extension.lower() in VIDEO_EXTENSIONS:
            found.setdefault(stem, osp.join(video_dir, file_name))
    if annotations is None:
        return list(found.items()), list(found)
    row_names = list(parse_annotations(annotations).video_ids)
    names = list(dict.fromkeys(row_names))  # first occurrence, in order
    return [(name, found.get(name, osp.join(video_dir, f'{name}.mp4')))
            for name in names], row_names


class _Decoding(Dataset):
    """Decodes one video per item, in DataLoader workers; a failure is
    returned as its message, so that the other videos go on."""

    def __init__(self, videos: List[Tuple[str, str]], args: argparse.Namespace,
                 num_segments: Optional[int]) -> None:
        self.videos = videos
        self.frames_per_segment = args.frames_per_segment
        self.frame_size = args.frame_size
        self.num_segments = num_segments

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, index: int):
        name, path = self.videos[index]
        try:
            return name, decode_inputs(path, self.frames_per_segment,
                                       self.frame_size,
                                       self.num_segments), None
        except DataValidationError as error:
            return name, None, str(error)
        except Exception as error:  # any decoder failure: report, go on
            return name, None, f'{path}: {type(error).__name__}: {error}'


def _identity(item):
    return item


def _part_paths(folder: str, name: str) -> List[str]:
    return [osp.join(folder, kind, f'{name}.npy') for kind in KINDS]


def _remove_stale_temporaries(folder: str) -> None:
    """Temporary files of a run that was killed while writing."""
    for kind in KINDS:
        kind_dir = osp.join(folder, kind)
        if osp.isdir(kind_dir):
            for file_name in os.listdir(kind_dir):
                if file_name.startswith('.') and file_name.endswith('.tmp'):
                    os.remove(osp.join(kind_dir, file_name))


def _save(folder: str, name: str, features: dict) -> None:
    # Visual first: a video counts as done when both files exist, and each
    # appears whole or not at all (atomic rename).
    for kind in reversed(KINDS):
        path = osp.join(folder, kind, f'{name}.npy')
        with atomic_write(path) as file:
            np.save(file, features[kind])


def _extract(videos: List[Tuple[str, str]], parts: str,
             args: argparse.Namespace,
             num_segments: Optional[int]) -> List[Tuple[str, str]]:
    """Extract every video not done yet; return (name, message) failures."""
    todo = [(name, path) for name, path in videos
            if not all(map(osp.isfile, _part_paths(parts, name)))]
    print(f'{len(videos) - len(todo)} of {len(videos)} videos already done, '
          f'{len(todo)} to extract', flush=True)
    failures: List[Tuple[str, str]] = []
    if not todo:
        return failures
    extractor = AVFeatureExtractor(
        args.audio_weights, args.visual_weights, device=args.device,
        frames_per_segment=args.frames_per_segment,
        batch_size=args.batch_size, frame_size=args.frame_size)
    loader = DataLoader(
        _Decoding(todo, args, num_segments),
        batch_size=None,
        num_workers=args.workers,
        collate_fn=_identity,
        prefetch_factor=2 if args.workers > 0 else None)
    progress = Progress(len(todo), 'Extracting', unit='videos')
    for name, inputs, error in loader:
        if error is None:
            try:
                _save(parts, name, extractor.embed(inputs))
            except (RuntimeError, ValueError) as exc:
                error = f'{name}: {type(exc).__name__}: {exc}'
        if error is not None:
            failures.append((name, error))
        progress.update()
    progress.close()
    return failures


def _write_ave_files(out_dir: str, parts: str, names: List[str]) -> None:
    """Gather the parts into the two HDF5 files, rows in ``names`` order."""
    for kind, file_name in zip(KINDS, (AUDIO_FILE, VISUAL_FILE)):
        first = np.load(osp.join(parts, kind, f'{names[0]}.npy'))
        with atomic_path(osp.join(out_dir, file_name)) as tmp_path:
            with h5py.File(tmp_path, 'w') as h5_file:
                dataset = h5_file.create_dataset(
                    FEATURE_KEY, (len(names), ) + first.shape, np.float32)
                for row, name in enumerate(names):
                    dataset[row] = np.load(
                        osp.join(parts, kind, f'{name}.npy'))


def _report_failures(out_dir: str, failures: List[Tuple[str, str]]) -> None:
    failures_path = osp.join(out_dir, FAILURES_FILE)
    if not failures:
        if osp.exists(failures_path):
            os.remove(failures_path)
        return
    with atomic_write(failures_path, 'w', encoding='utf-8') as file:
        for name, message in failures:
            file.write(f'{name}\t{message}\n')
    print(f'{len(failures)} video(s) failed (also listed in '
          f'{failures_path}):', file=sys.stderr)
    for name, message in failures:
        print(f'  {name}: {message}', file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        print('--device cuda: CUDA is not available here', file=sys.stderr)
        return 2
    try:
        videos, row_names = list_videos(args.video_dir, args.annotations)
    except DataValidationError as error:
        print(f'Data error: {error}', file=sys.stderr)
        return 2
    if not videos:
        print(f'no video in {args.video_dir}', file=sys.stderr)
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    ave = args.layout == 'ave'
    parts = osp.join(args.out_dir, PARTS_DIR) if ave else args.out_dir
    finished_parts = parts + '.finished'
    if ave and osp.isdir(finished_parts):
        # A run stopped while removing the gathered parts.
        shutil.rmtree(finished_parts)
    if ave and not osp.isdir(parts) and all(
            osp.isfile(osp.join(args.out_dir, name))
            for name in (AUDIO_FILE, VISUAL_FILE)):
        print(f'{args.out_dir} already holds {AUDIO_FILE} and {VISUAL_FILE}'
              '; nothing to do')
        return 0
    _remove_stale_temporaries(parts)
    failures = _extract(videos, parts, args, NUM_SEGMENTS if ave else None)
    _report_failures(args.out_dir, failures)
    if failures:
        if ave:
            print(f'{AUDIO_FILE} and {VISUAL_FILE} need every video: fix or '
                  'replace the failed ones and run again (finished videos '
                  'are kept)', file=sys.stderr)
        return 1
    if ave:
        _write_ave_files(args.out_dir, parts, row_names)
        os.rename(parts, finished_parts)
        shutil.rmtree(finished_parts)
        print(f'wrote {osp.join(args.out_dir, AUDIO_FILE)} and '
              f'{osp.join(args.out_dir, VISUAL_FILE)} ({len(row_names)} rows)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
