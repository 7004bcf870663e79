"""Convert the authors' video parsing weights into an mmcpsp checkpoint.

    python tools/model_converters/convert_official_avvp.py IN OUT \
        [--arch psp_mmil|han] [--dtype float32|float64] [--config CONFIG]

Both released LLP networks are recognised from their keys (``--arch``
checks against one): CPSP's PSP-MMIL (``lstm.*``, ``psp.*``; cpsp_avvp of
jasongief/CPSP) and HAN (``hat_encoder.*``; YapengTian/AVVP-ECCV20), whose
modules its forward never calls (``audio_encoder``, ``visual_encoder``,
``cmt_encoder``, ``hat_encoder.norm1/norm2``) are dropped. Keys may carry
the ``module.`` prefix of ``DataParallel``. The file is read with
``weights_only=True``: a pickle holding anything but tensors is refused
without running it.

The checkpoint loads with ``strict=True`` into the model of the matching
config. Its meta holds the config's text (``cfg``: ``--config``, by default
configs/cpsp_avvp_llp.py or configs/han_avvp_llp.py, else the model base
config) and ``dataset_meta`` (the 25 LLP classes), so that
``init_localizer`` needs nothing else.
"""
import argparse
import os.path as osp
import pickle
import sys
from typing import Dict

import torch
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp import __version__  # noqa: E402
from mmcpsp.datasets.llp import LLP_CLASSES  # noqa: E402
from mmcpsp.models.utils import (  # noqa: E402
    OFFICIAL_AVVP_LAYOUTS,
    convert_official_state_dict,
    detect_official_layout,
    load_official_checkpoint,
)
from mmcpsp.registry import MODELS  # noqa: E402
from mmcpsp.utils import atomic_path  # noqa: E402

DTYPES = dict(float32=torch.float32, float64=torch.float64)
#: Layout -> the configs its meta names by default, the first that exists:
#: the full recipe, then the model base config.
DEFAULT_CONFIGS = dict(
    psp_mmil=('configs/cpsp_avvp_llp.py', 'configs/_base_/models/psp_mmil.py'),
    han=('configs/han_avvp_llp.py', 'configs/_base_/models/han.py'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a released AVVP state dict (CPSP PSP-MMIL or '
        'HAN; keys with or without the "module." prefix of DataParallel) '
        'into an mmcpsp checkpoint')
    parser.add_argument('src', help='the released .pt/.pth file')
    parser.add_argument('dst', help='the mmcpsp checkpoint to write')
    parser.add_argument(
        '--arch',
        choices=tuple(OFFICIAL_AVVP_LAYOUTS),
        help='the released layout; detected from the keys when omitted')
    parser.add_argument(
        '--dtype',
        choices=tuple(DTYPES),
        default='float32',
        help='dtype of the converted weights (the releases are float32)')
    parser.add_argument(
        '--config',
        help='config whose text goes into the meta (cfg); defaults to '
        'configs/cpsp_avvp_llp.py (psp_mmil) or configs/han_avvp_llp.py '
        '(han) when present, else the model base config')
    return parser.parse_args()


def default_config(layout: str) -> str:
    """The config of a layout: its full recipe, else its model config."""
    candidates = [osp.join(REPO_ROOT, path) for path in DEFAULT_CONFIGS[layout]]
    return next((path for path in candidates if osp.isfile(path)),
                candidates[-1])


def check_config(cfg: Config, path: str,
                 state_dict: Dict[str, torch.Tensor]) -> None:
    """Refuse a config whose model would not load the weights strictly."""
    model_state = MODELS.build(cfg.model).state_dict()
    problems = [
        f'{key} {list(value.shape)} vs {list(model_state[key].shape)}'
        for key, value in state_dict.items()
        if key in model_state and value.shape != model_state[key].shape
    ]
    missing = [key for key in model_state if key not in state_dict]
    unexpected = [key for key in state_dict if key not in model_state]
    if missing:
        problems.append(f'keys of the model not converted: '
                        f'{", ".join(missing)}')
    if unexpected:
        problems.append(f'converted keys the model lacks: '
                        f'{", ".join(unexpected)}')
    if problems:
        raise ValueError(f'the model of {path} does not take these weights '
                         f'({"; ".join(problems)}).')


def main() -> None:
    args = parse_args()
    try:
        official = load_official_checkpoint(args.src)
        layout = detect_official_layout(official, args.arch,
                                        OFFICIAL_AVVP_LAYOUTS)
        state_dict = convert_official_state_dict(
            official,
            dtype=DTYPES[args.dtype],
            arch=layout.name,
            layouts=OFFICIAL_AVVP_LAYOUTS)
        config_path = args.config or default_config(layout.name)
        config = Config.fromfile(config_path)
        check_config(config, config_path, state_dict)
    except (AttributeError, KeyError, OSError, pickle.UnpicklingError,
            SyntaxError, TypeError, ValueError) as error:
        raise SystemExit(f'Cannot convert {args.src}: {error}') from error
    checkpoint = dict(
        meta=dict(
            converted_from=osp.basename(args.src),
            source=layout.description,
            layout=layout.name,
            dtype=args.dtype,
            mmcpsp_version=__version__,
            cfg=config.pretty_text,
            dataset_meta=dict(
                classes=LLP_CLASSES, num_classes=len(LLP_CLASSES))),
        state_dict=state_dict)
    with atomic_path(args.dst) as tmp_path:
        torch.save(checkpoint, tmp_path)
    print(f'Converted {len(state_dict)} tensors of a {layout.name} network '
          f'({layout.description}) from {args.src} to {args.dst} '
          f'({args.dtype}). Configs: {", ".join(layout.configs)}.')


if __name__ == '__main__':
    main()
