"""Convert the authors' released CPSP weights into an mmcpsp checkpoint.

    python tools/model_converters/convert_official_cpsp.py IN OUT \
        [--dtype float32|float64]

The output loads with ``load_from`` or ``tools/test.py`` into an
AVELLocalizer with an AVGAEncoder backbone, a PSPNeck and a CPSPHead.
"""
import argparse
import os
import os.path as osp
import pickle
import sys

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp import __version__  # noqa: E402
from mmcpsp.models.utils import (  # noqa: E402
    convert_official_state_dict,
    load_official_checkpoint,
)

DTYPES = dict(float32=torch.float32, float64=torch.float64)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert an official CPSP state dict (saved from '
        'DataParallel, keys prefixed "module.") into an mmcpsp checkpoint')
    parser.add_argument('src', help='the released .pth/.pt file')
    parser.add_argument('dst', help='the mmcpsp checkpoint to write')
    parser.add_argument(
        '--dtype',
        choices=tuple(DTYPES),
        default='float32',
        help='dtype of the converted weights (the release is float64)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        state_dict = convert_official_state_dict(
            load_official_checkpoint(args.src), dtype=DTYPES[args.dtype])
    except (OSError, pickle.UnpicklingError, TypeError, ValueError) as error:
        raise SystemExit(f'Cannot convert {args.src}: {error}') from error
    checkpoint = dict(
        meta=dict(
            converted_from=osp.basename(args.src),
            source='official CPSP release',
            dtype=args.dtype,
            mmcpsp_version=__version__),
        state_dict=state_dict)
    dst_dir = osp.dirname(osp.abspath(args.dst))
    os.makedirs(dst_dir, exist_ok=True)
    torch.save(checkpoint, args.dst)
    print(f'Converted {len(state_dict)} tensors from {args.src} '
          f'to {args.dst} ({args.dtype}).')


if __name__ == '__main__':
    main()
