"""Convert the authors' released PSP/CPSP weights into an mmcpsp checkpoint.

    python tools/model_converters/convert_official_cpsp.py IN OUT \
        [--arch cpsp|cpsp_resnet|psp_cvpr21_fully|psp_cvpr21_weakly] \
        [--dtype float32|float64]

Every released layout is recognised from its keys (``--arch`` checks
against one): the CPSP codebase's AVE network (fully and weakly supervised
PSP, CPSP and SSPSP), its VGGSound-AVEL ResNet network (``resnet_psp_net``)
and the fully and weakly supervised PSP of the CVPR 2021 release. The file
is read with ``weights_only=True``: a pickle holding anything but tensors is
refused without running it. A whole pickled network (the CVPR 2021 release
saved ``torch.save(net_model)``) is read with inert stand-ins for its module
classes, never importing or running them. The output loads with
``load_from`` or ``tools/test.py`` into the configs the tool names.
"""
import argparse
import os.path as osp
import pickle
import sys

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp import __version__  # noqa: E402
from mmcpsp.models.utils import (  # noqa: E402
    OFFICIAL_LAYOUTS,
    convert_official_state_dict,
    detect_official_layout,
    load_official_checkpoint,
)
from mmcpsp.utils import atomic_path  # noqa: E402

DTYPES = dict(float32=torch.float32, float64=torch.float64)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a released PSP/CPSP state dict (keys with or '
        'without the "module." prefix of DataParallel) into an mmcpsp '
        'checkpoint')
    parser.add_argument('src', help='the released .pth/.pt/.pth.tar file')
    parser.add_argument('dst', help='the mmcpsp checkpoint to write')
    parser.add_argument(
        '--arch',
        choices=tuple(OFFICIAL_LAYOUTS),
        help='the released layout; detected from the keys when omitted')
    parser.add_argument(
        '--dtype',
        choices=tuple(DTYPES),
        default='float32',
        help='dtype of the converted weights (the CPSP release is float64)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        official = load_official_checkpoint(args.src)
        layout = detect_official_layout(official, args.arch)
        state_dict = convert_official_state_dict(
            official, dtype=DTYPES[args.dtype], arch=layout.name)
    except (OSError, pickle.UnpicklingError, TypeError, ValueError) as error:
        raise SystemExit(f'Cannot convert {args.src}: {error}') from error
    checkpoint = dict(
        meta=dict(
            converted_from=osp.basename(args.src),
            source=layout.description,
            layout=layout.name,
            dtype=args.dtype,
            mmcpsp_version=__version__),
        state_dict=state_dict)
    with atomic_path(args.dst) as tmp_path:
        torch.save(checkpoint, tmp_path)
    print(f'Converted {len(state_dict)} tensors of a {layout.name} network '
          f'({layout.description}) from {args.src} to {args.dst} '
          f'({args.dtype}). Configs: {", ".join(layout.configs)}.')


if __name__ == '__main__':
    main()
