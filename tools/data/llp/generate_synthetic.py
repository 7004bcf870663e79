"""Write a synthetic LLP folder in the released layout (never real data).

The six annotation files and feats/{vggish,res152,r2plus1d_18}/
<filename[:11]>.npy (float32 [10, 128], [80, 2048], [10, 512]); labels are
learnable from the features, and the release's quirks are included (see
mmcpsp/testing/synthetic_llp.py). The same seed writes the same bytes.

Example::

    python tools/data/llp/generate_synthetic.py data/llp_synthetic \
        --num-videos 200 --seed 0
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp.testing.synthetic_llp import (  # noqa: E402
    MIN_VIDEOS,
    generate_synthetic_llp,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic LLP folder (released layout).')
    parser.add_argument('out', help='output folder')
    parser.add_argument(
        '--num-videos',
        type=int,
        default=200,
        help=f'videos, at least {MIN_VIDEOS} (80 %% train, 10 %% val, '
        '10 %% test); 640 KB of res152 features each')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace LLP files already in OUT')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        info = generate_synthetic_llp(
            args.out,
            num_videos=args.num_videos,
            seed=args.seed,
            overwrite=args.overwrite,
            show_progress=True)
    except (OSError, ValueError) as exc:
        # OSError: existing files; ValueError: bad arguments.
        print(f'error: {exc}', file=sys.stderr)
        return 1
    splits = ', '.join(f'{split} {size}'
                       for split, size in info['splits'].items())
    print(f'wrote {info["num_videos"]} videos ({splits}) to {args.out} in '
          f'{info["seconds"]:.1f} s; {info["bytes"] / 2**20:.1f} MiB of '
          'features')
    return 0


if __name__ == '__main__':
    sys.exit(main())
