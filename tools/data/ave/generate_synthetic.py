"""Write a synthetic AVE folder in exactly the distributed file format.

The features hold learnable audio-visual events (see
mmcpsp/datasets/synthetic_ave.py). With ``--meta-dir`` the real
Annotations.txt, order files and mil_labels.h5 are copied and the features
follow them (4,143 videos, 3,339/402/402); without it ``--num-videos``
synthetic annotations over the 28 AVE categories are written, split about
80/10/10.

Examples::

    python tools/data/ave/generate_synthetic.py data/ave_synthetic \\
        --meta-dir /path/to/real/ave_small_files
    python tools/data/ave/generate_synthetic.py /tmp/ave_tiny \\
        --num-videos 64 --compression gzip
"""
import argparse
import sys
from typing import List, Optional

from mmcpsp.testing.synthetic_ave import (
    COMPRESSIONS,
    NUM_NOISY_VIDEOS,
    generate_synthetic_ave,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic AVE folder (distributed format).')
    parser.add_argument('out', help='output folder')
    parser.add_argument(
        '--num-videos',
        type=int,
        default=400,
        help='synthetic videos, at least 28 (ignored with --meta-dir)')
    parser.add_argument(
        '--meta-dir',
        help='folder with the real Annotations.txt, {train,val,test}_order.h5 '
        'and mil_labels.h5, copied and followed')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--compression',
        choices=COMPRESSIONS,
        default='lzf',
        help='"none" writes contiguous files like the release (7.7 GiB of '
        'visual features for 4,143 videos); gzip (level 1) and lzf write '
        'small chunked files')
    parser.add_argument(
        '--right-labels',
        action='store_true',
        help='name the segment labels right_labels.h5 (PSP/CPSP) instead of '
        'labels.h5')
    parser.add_argument(
        '--annotation-header',
        action='store_true',
        help='start the synthetic Annotations.txt with its header line')
    parser.add_argument(
        '--num-noisy',
        type=int,
        default=NUM_NOISY_VIDEOS,
        help='background-only videos of the *_noisy.h5 files')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace AVE files already in OUT')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        info = generate_synthetic_ave(
            args.out,
            num_videos=args.num_videos,
            meta_dir=args.meta_dir,
            seed=args.seed,
            compression=args.compression,
            right_labels=args.right_labels,
            annotation_header=args.annotation_header,
            num_noisy=args.num_noisy,
            overwrite=args.overwrite,
            show_progress=True)
    except (OSError, ValueError) as exc:
        # OSError: existing files or an incomplete --meta-dir; ValueError:
        # bad arguments or a bad meta file (DataValidationError).
        print(f'error: {exc}', file=sys.stderr)
        return 1
    splits = ', '.join(f'{split} {size}'
                       for split, size in info['splits'].items())
    print(f'wrote {info["num_videos"]} videos ({splits}) and '
          f'{info["num_noisy"]} noisy videos to {args.out} in '
          f'{info["seconds"]:.1f} s; {info["disk_bytes"] / 2**20:.1f} MiB '
          'on disk')
    return 0


if __name__ == '__main__':
    sys.exit(main())
