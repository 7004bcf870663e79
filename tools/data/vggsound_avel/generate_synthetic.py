"""Write a synthetic dataset in the VGGSound-AVEL100k format.

    python tools/data/vggsound_avel/generate_synthetic.py OUT \
        --num-videos N [--layout zip|hdf5|both] [--seed S]

``zip`` writes the distributed files (meta CSV, categories file, one zip per
video and kind); ``hdf5`` writes the meta files and the converted folder
OUT/hdf5 directly (gzip-compressed float16, which holds the synthetic maps
exactly; the way to get 100k videos on a small disk); ``both`` writes both.
See mmcpsp/datasets/synthetic_vggsound_avel.py for what the data hold.
"""
import argparse
import os
import sys
import time
from typing import List, Optional

from mmcpsp.datasets.vggsound_avel.files import NUM_CLASSES
from mmcpsp.testing.synthetic_vggsound_avel import (
    LAYOUTS,
    generate_synthetic_vggsound_avel,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate synthetic VGGSound-AVEL data')
    parser.add_argument('out', help='data root to create (must be empty)')
    parser.add_argument('--num-videos', type=int, required=True)
    parser.add_argument('--layout', choices=LAYOUTS, default='zip')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-classes', type=int, default=NUM_CLASSES)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if os.path.exists(args.out) and os.listdir(args.out):
        print(f'Error: {args.out} is not empty; refusing to write into it',
              file=sys.stderr)
        return 1
    began = time.perf_counter()
    generate_synthetic_vggsound_avel(
        args.out, args.num_videos, layout=args.layout, seed=args.seed,
        num_classes=args.num_classes, show_progress=True)
    print(f'Wrote {args.num_videos} synthetic videos ({args.layout}) to '
          f'{args.out} in {time.perf_counter() - began:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
