"""Extract the features of raw videos: the AVE recipe (VGGish audio, VGG-19
pool5 visual) or the LLP recipe (VGGish, ResNet-152 frames, R(2+1)D-18
clips).

Writes what the feature datasets read:

- ``--recipe ave --layout ave``: OUT/audio_feature.h5 [N, 10, 128] and
  OUT/visual_feature.h5 [N, 10, 7, 7, 512] (key ``avadataset``, float32,
  one row per line of --annotations, in its order), which AVEDataset reads
  beside the release's other files;
- ``--recipe ave --layout npy``: OUT/audio/<name>.npy [T, 128] and
  OUT/visual/<name>.npy [T, 7, 7, 512], T the video's own number of
  one-second segments (any length);
- ``--recipe llp``: OUT/feats/vggish/<name>.npy [T, 128],
  OUT/feats/res152/<name>.npy [8T, 2048] and
  OUT/feats/r2plus1d_18/<name>.npy [T, 512] (T = 10 for the LLP clips),
  the ``feats/`` folder LLPDataset reads beside the six CSV files.

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
    python tools/data/extract_features.py data/LLP_dataset/video data/llp \\
        --recipe llp --audio-weights vggish-10086976.pth \\
        --res152-weights resnet152-b121ed2d.pth \\
        --r2plus1d-weights r2plus1d_18-91a641e6.pth --device cuda
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from mmcpsp.apis import (  # noqa: E402
    AVFeatureExtractor,
    LLPFeatureExtractor,
    decode_inputs,
    decode_llp_inputs,
)
from mmcpsp.apis.extractor_base import VideoFeatureExtractor  # noqa: E402
from mmcpsp.datasets.ave import parse_annotations  # noqa: E402
from mmcpsp.datasets.ave.files import (  # noqa: E402
    AUDIO_FILE,
    FEATURE_KEY,
    VISUAL_FILE,
)
from mmcpsp.datasets.constants import NUM_SEGMENTS  # noqa: E402
from mmcpsp.datasets.errors import DataValidationError  # noqa: E402
from mmcpsp.datasets.llp.files import FEATURE_DIRS  # noqa: E402
from mmcpsp.datasets.video.ave_video_dataset import (  # noqa: E402
    list_videos as list_video_files,
)
from mmcpsp.utils import Progress, atomic_path, atomic_write  # noqa: E402

FAILURES_FILE = 'failures.txt'
PARTS_DIR = '.parts'
#: Output folder of each kind of feature, per recipe (relative to OUT, or
#: to OUT/.parts for the AVE HDF5 files).
FOLDERS = dict(
    ave=dict(audio='audio', visual='visual'), llp=dict(FEATURE_DIRS))
#: Options of one recipe only, and their defaults there.
AVE_DEFAULTS = dict(layout='ave', frames_per_segment=16)
LLP_ONLY = ('res152_weights', 'r2plus1d_weights', 'clip_size')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract the features of videos, as the AVE or the LLP '
        'release made them (see tools/data/README.md).')
    parser.add_argument('video_dir', help='folder of the videos')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument(
        '--recipe', choices=('ave', 'llp'), default='ave',
        help='ave: VGGish + VGG-19 pool5 (default); llp: VGGish + '
        'ResNet-152 frames + R(2+1)D-18 clips into OUT/feats/')
    parser.add_argument('--audio-weights', required=True,
                        help="the PyTorch VGGish port's vggish-10086976.pth")
    parser.add_argument('--visual-weights',
                        help="ave: torchvision's vgg19-dcbb9e9d.pth")
    parser.add_argument('--res152-weights',
                        help="llp: torchvision's resnet152-b121ed2d.pth")
    parser.add_argument('--r2plus1d-weights',
                        help="llp: torchvision's r2plus1d_18-91a641e6.pth")
    parser.add_argument(
        '--annotations',
        help='ave: Annotations.txt: videos and row order '
        '(VIDEO_DIR/<VideoID>.*); required with --layout ave; without it '
        'every video of VIDEO_DIR')
    parser.add_argument('--layout', choices=('ave', 'npy'),
                        help='ave: HDF5 files (default) or one .npy per video')
    parser.add_argument('--frames-per-segment', type=int,
                        help='ave: frames averaged per second (AVE: 16)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument(
        '--amp', action='store_true',
        help='visual networks under bfloat16 autocast (a CPU with bfloat16 '
        'kernels, or a GPU); files stay float32. The default float32 is '
        'the published recipe (tools/data/README.md: the difference)')
    parser.add_argument(
        '--batch-size', type=int, default=16,
        help='frames per network pass (ave: a whole AVE video at N=16 is '
        '160; llp: an LLP clip is 80 frames)')
    parser.add_argument('--workers', type=int, default=2,
                        help='processes decoding videos ahead of the networks')
    parser.add_argument(
        '--frame-size', type=int, default=224,
        help='ave: side of the frames given to VGG-19 (224: 7 x 7 maps, '
        'what AVEDataset reads); llp: side of the ResNet-152 crop (224, '
        'after resizing the shorter side to 256); smaller sizes are for '
        'quick trials')
    parser.add_argument(
        '--clip-size', type=int,
        help='llp: side of the R(2+1)D-18 frames (112)')
    args = parser.parse_args(argv)
    if args.recipe == 'ave':
        for name in LLP_ONLY:
            if getattr(args, name) is not None:
                parser.error(f'--{name.replace("_", "-")} is an option of '
                             '--recipe llp')
        if args.visual_weights is None:
            parser.error('--recipe ave needs --visual-weights')
        for name, default in AVE_DEFAULTS.items():
            if getattr(args, name) is None:
                setattr(args, name, default)
        if args.layout == 'ave' and args.annotations is None:
            parser.error('--layout ave needs --annotations: the rows of the '
                         'HDF5 files follow its lines')
    else:
        for name in ('visual_weights', 'annotations', *AVE_DEFAULTS):
            if getattr(args, name) is not None:
                parser.error(f'--{name.replace("_", "-")} is an option of '
                             '--recipe ave')
        if args.res152_weights is None or args.r2plus1d_weights is None:
            parser.error('--recipe llp needs --res152-weights and '
                         '--r2plus1d-weights')
        args.layout = 'llp'
        args.clip_size = 112 if args.clip_size is None else args.clip_size
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
    found = {
        name: osp.join(video_dir, file_name)
        for name, file_name in list_video_files(video_dir).items()
    }
    if annotations is None:
        return list(found.items()), list(found)
    row_names = list(parse_annotations(annotations).video_ids)
    names = list(dict.fromkeys(row_names))  # first occurrence, in order
    return [(name, found.get(name, osp.join(video_dir, f'{name}.mp4')))
            for name in names], row_names


def make_decoder(args: argparse.Namespace,
                 num_segments: Optional[int]) -> Callable[[str], object]:
    """The decoding of the recipe: a picklable function of the path."""
    if args.recipe == 'llp':
        return partial(decode_llp_inputs, num_segments=num_segments,
                       frame_size=args.frame_size, clip_size=args.clip_size)
    return partial(decode_inputs, frames_per_segment=args.frames_per_segment,
                   frame_size=args.frame_size, num_segments=num_segments)


def make_extractor(args: argparse.Namespace) -> VideoFeatureExtractor:
    if args.recipe == 'llp':
        return LLPFeatureExtractor(
            args.audio_weights, args.res152_weights, args.r2plus1d_weights,
            device=args.device, batch_size=args.batch_size,
            frame_size=args.frame_size, clip_size=args.clip_size,
            amp=args.amp)
    return AVFeatureExtractor(
        args.audio_weights, args.visual_weights, device=args.device,
        frames_per_segment=args.frames_per_segment,
        batch_size=args.batch_size, frame_size=args.frame_size,
        amp=args.amp)


class _Decoding(Dataset):
    """Decodes one video per item, in DataLoader workers; a failure is
    returned as its message, so that the other videos go on."""

    def __init__(self, videos: List[Tuple[str, str]],
                 decode: Callable[[str], object]) -> None:
        self.videos = videos
        self.decode = decode

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, index: int):
        name, path = self.videos[index]
        try:
            return name, self.decode(path), None
        except DataValidationError as error:
            return name, None, str(error)
        except Exception as error:  # any decoder failure: report, go on
            return name, None, f'{path}: {type(error).__name__}: {error}'


def _identity(item):
    return item


def _part_paths(folder: str, folders: Dict[str, str],
                name: str) -> List[str]:
    return [osp.join(folder, sub, f'{name}.npy') for sub in folders.values()]


def _remove_stale_temporaries(folder: str, folders: Dict[str, str]) -> None:
    """Temporary files of a run that was killed while writing."""
    for sub in folders.values():
        kind_dir = osp.join(folder, sub)
        if osp.isdir(kind_dir):
            for file_name in os.listdir(kind_dir):
                if file_name.startswith('.') and file_name.endswith('.tmp'):
                    os.remove(osp.join(kind_dir, file_name))


def _save(folder: str, folders: Dict[str, str], name: str,
          features: dict) -> None:
    # A video counts as done when all its files exist, and each appears
    # whole or not at all (atomic rename). The first kind is written last,
    # so that its file appearing means the video is complete.
    for kind, sub in reversed(list(folders.items())):
        with atomic_write(osp.join(folder, sub, f'{name}.npy')) as file:
            np.save(file, features[kind])


def _extract(videos: List[Tuple[str, str]], parts: str,
             args: argparse.Namespace,
             num_segments: Optional[int]) -> List[Tuple[str, str]]:
    """Extract every video not done yet; return (name, message) failures."""
    folders = FOLDERS[args.recipe]
    todo = [(name, path) for name, path in videos
            if not all(map(osp.isfile, _part_paths(parts, folders, name)))]
    print(f'{len(videos) - len(todo)} of {len(videos)} videos already done, '
          f'{len(todo)} to extract', flush=True)
    failures: List[Tuple[str, str]] = []
    if not todo:
        return failures
    extractor = make_extractor(args)
    loader = DataLoader(
        _Decoding(todo, make_decoder(args, num_segments)),
        batch_size=None,
        num_workers=args.workers,
        collate_fn=_identity,
        prefetch_factor=2 if args.workers > 0 else None)
    progress = Progress(len(todo), 'Extracting', unit='videos')
    for name, inputs, error in loader:
        if error is None:
            try:
                _save(parts, folders, name, extractor.embed(inputs))
            except (RuntimeError, ValueError) as exc:
                error = f'{name}: {type(exc).__name__}: {exc}'
        if error is not None:
            failures.append((name, error))
        progress.update()
    progress.close()
    return failures


def _write_ave_files(out_dir: str, parts: str, names: List[str]) -> None:
    """Gather the parts into the two HDF5 files, rows in ``names`` order."""
    for sub, file_name in zip(FOLDERS['ave'].values(),
                              (AUDIO_FILE, VISUAL_FILE)):
        first = np.load(osp.join(parts, sub, f'{names[0]}.npy'))
        with atomic_path(osp.join(out_dir, file_name)) as tmp_path:
            with h5py.File(tmp_path, 'w') as h5_file:
                dataset = h5_file.create_dataset(
                    FEATURE_KEY, (len(names), ) + first.shape, np.float32)
                for row, name in enumerate(names):
                    dataset[row] = np.load(
                        osp.join(parts, sub, f'{name}.npy'))


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
    _remove_stale_temporaries(parts, FOLDERS[args.recipe])
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
