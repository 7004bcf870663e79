"""Convert the authors' released PSP/CPSP weights into an mmcpsp checkpoint.

    python tools/model_converters/convert_official_cpsp.py IN OUT \
        [--arch cpsp|cpsp_resnet|psp_cvpr21_fully|psp_cvpr21_weakly] \
        [--dtype float32|float64] [--config CONFIG] \
        [--dataset ave|vggsound_avel100k|vggsound_avel50k] \
        [--categories-file FILE]

Every released layout is recognised from its keys (``--arch`` checks
against one): the CPSP codebase's AVE network (fully and weakly supervised
PSP, CPSP and SSPSP), its VGGSound-AVEL ResNet network (``resnet_psp_net``)
and the fully and weakly supervised PSP of the CVPR 2021 release. The file
is read with ``weights_only=True``: a pickle holding anything but tensors is
refused without running it. A whole pickled network (the CVPR 2021 release
saved ``torch.save(net_model)``) is read with inert stand-ins for its module
classes, never importing or running them. The output loads with
``load_from`` or ``tools/test.py`` into the configs the tool names, and is
as complete as a trained checkpoint: its meta holds the config of the layout
(``--config``, else the layout's first config for ``--dataset``) and the
class names of that config's dataset (AVE's 28 categories; VGGSound-AVEL's
categories file, from the config's data root or ``--categories-file``), so
``init_localizer(None, OUT)`` builds the model and names its classes.
"""
import argparse
import os.path as osp
import pickle
import sys
from typing import Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp import __version__  # noqa: E402
from mmcpsp.datasets.base import dataset_class  # noqa: E402
from mmcpsp.models.utils import (  # noqa: E402
    OFFICIAL_LAYOUTS,
    convert_official_state_dict,
    detect_official_layout,
    load_official_checkpoint,
)
from mmcpsp.registry import MODELS  # noqa: E402
from mmcpsp.utils import atomic_path  # noqa: E402

DTYPES = dict(float32=torch.float32, float64=torch.float64)
#: The datasets the released networks were trained on; the default is the
#: layout's (AVE, or VGGSound-AVEL100k for the ResNet network).
DATASETS = ('ave', 'vggsound_avel100k', 'vggsound_avel50k')
CONFIG_DIR = osp.join(REPO_ROOT, 'configs')


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
    parser.add_argument(
        '--config',
        help='the config whose model the weights are for, stored in the '
        "checkpoint's meta (default: the layout's first config for "
        '--dataset)')
    parser.add_argument(
        '--dataset',
        choices=DATASETS,
        help='the dataset the network was trained on (default: the '
        "layout's: ave, or vggsound_avel100k for cpsp_resnet)")
    parser.add_argument(
        '--categories-file',
        help='VGGSound-AVEL: the categories file (one class name a line) '
        "whose names the checkpoint stores (default: the config's)")
    return parser.parse_args()


def layout_config(layout, dataset: Optional[str]) -> str:
    """The first config of ``layout`` trained on ``dataset``."""
    for name in layout.configs:
        if dataset is None or name.endswith(f'_{dataset}.py'):
            return osp.join(CONFIG_DIR, name)
    raise ValueError(f'the {layout.name} layout is not trained on '
                     f'{dataset}; its configs: {", ".join(layout.configs)}.')


def class_names(cfg: Config,
                categories_file: Optional[str]) -> Optional[Tuple[str, ...]]:
    """The class names of the config's test dataset, if they are known."""
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    if categories_file is not None:
        dataset_cfg.update(data_root='', categories_file=categories_file)
    dataset_type = dataset_class(dataset_cfg)
    return dataset_type.class_names_from_config(dataset_cfg)


def checkpoint_meta(cfg: Config, names: Optional[Tuple[str, ...]],
                    num_classes: int) -> dict:
    """What inference needs: the config and the class names."""
    meta = dict(cfg=cfg.pretty_text)
    if names is not None:
        if len(names) != num_classes:
            raise ValueError(
                f'the network has {num_classes} classes, the dataset of '
                f'the config names {len(names)}.')
        meta['dataset_meta'] = dict(
            classes=tuple(names) + ('background', ),
            num_classes=num_classes,
            background_index=num_classes)
    return meta


def check_loads(cfg: Config, state_dict: dict) -> int:
    """Load the weights strictly into the config's model; its C."""
    init_default_scope(cfg.get('default_scope', 'mmcpsp'))
    model = MODELS.build(cfg.model)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise ValueError(f'the weights do not fit the model of '
                         f'{cfg.filename}: {error}') from None
    return model.head.num_classes


def main() -> None:
    args = parse_args()
    try:
        official = load_official_checkpoint(args.src)
        layout = detect_official_layout(official, args.arch)
        state_dict = convert_official_state_dict(
            official, dtype=DTYPES[args.dtype], arch=layout.name)
        cfg = Config.fromfile(args.config or
                              layout_config(layout, args.dataset))
        num_classes = check_loads(cfg, state_dict)
        names = class_names(cfg, args.categories_file)
        meta = checkpoint_meta(cfg, names, num_classes)
    except (OSError, pickle.UnpicklingError, TypeError, ValueError) as error:
        raise SystemExit(f'Cannot convert {args.src}: {error}') from error
    if names is None:
        print(f'Warning: the class names of {cfg.filename} are not known '
              '(give --categories-file): results will call them "class 0" '
              '...')
    checkpoint = dict(
        meta=dict(
            converted_from=osp.basename(args.src),
            source=layout.description,
            layout=layout.name,
            dtype=args.dtype,
            mmcpsp_version=__version__,
            **meta),
        state_dict=state_dict)
    with atomic_path(args.dst) as tmp_path:
        torch.save(checkpoint, tmp_path)
    print(f'Converted {len(state_dict)} tensors of a {layout.name} network '
          f'({layout.description}) from {args.src} to {args.dst} '
          f'({args.dtype}), for {osp.relpath(cfg.filename)}. Other configs: '
          f'{", ".join(layout.configs)}.')


if __name__ == '__main__':
    main()
