"""What bfloat16 mixed precision changes in a model, region by region.

For a config (and optionally a checkpoint), on one batch of generated data
of its shapes, this tool runs the model in float32 and under bfloat16
autocast with each choice of the parts kept in float32
(:mod:`mmcpsp.models.utils.precision`: nothing, each region alone, all of
them) and reports, against float32 on the same weights and batch:

- the share of predicted labels that differ;
- the largest difference of the probabilities the rule reads;
- the relative difference of every loss term and of the gradient;
- for PSP models, the share of the pruning decisions (weights kept at the
  threshold) that differ.

Example::

    python tools/analysis_tools/benchmark_amp.py configs/cpsp_fully_ave.py \\
        --checkpoint work_dirs/demo_cpsp_fully_ave/epoch_6.pth

The figures measured with it are in docs/benchmark.md.
"""
import argparse
import itertools
import json
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from mmcpsp.models.necks import PSPNeck  # noqa: E402
from mmcpsp.models.utils.precision import REGIONS, float32_regions  # noqa
from mmcpsp.registry import DATASETS, MODELS  # noqa: E402

#: Generated data of each dataset type: (generator, keyword arguments).
GENERATORS = dict(
    AVEDataset=('generate_synthetic_ave', dict(num_videos=200, seed=0)),
    LLPDataset=('generate_synthetic_llp', dict(num_videos=200, seed=0)),
    VGGSoundAVELDataset=('generate_synthetic_vggsound_avel',
                         dict(num_videos=200, seed=0)))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='weights (default: random)')
    parser.add_argument('--data-root', help='data of the config (default: '
                        'generated in a temporary folder)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--out', help='also write the figures as JSON')
    return parser.parse_args(argv)


def batch_of(cfg: Config, data_root: str, batch_size: int) -> dict:
    """The first ``batch_size`` training videos, collated."""
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=data_root, preload=None)
    dataset = DATASETS.build(dataset_cfg)
    return pseudo_collate(
        [dataset[index] for index in range(min(batch_size, len(dataset)))])


def run(model, data: dict, amp: bool) -> Dict[str, object]:
    """Labels, scores, losses, gradient and PSP masks of one pass."""
    masks: List[torch.Tensor] = []
    patched = []
    for module in model.modules():
        if isinstance(module, PSPNeck):
            original = module._propagation_weights

            def recorded(*args, _original=original, **kwargs):
                outputs = _original(*args, **kwargs)
                masks.extend((weights > 0).flatten() for weights in outputs)
                return outputs

            module._propagation_weights = recorded
            patched.append(module)
    model.zero_grad()
    processed = model.data_preprocessor(data, True)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
        model.train()
        torch.manual_seed(0)
        losses = model(**processed, mode='loss')
        total = sum(value for key, value in losses.items() if 'loss' in key)
    total.backward()
    gradient = torch.cat([
        parameter.grad.flatten() for parameter in model.parameters()
        if parameter.grad is not None
    ])
    model.eval()
    with torch.no_grad(), torch.autocast(
            'cpu', dtype=torch.bfloat16, enabled=amp):
        masks.clear()
        samples = model(**processed, mode='predict')
    for module in patched:
        del module._propagation_weights
    head = model.head
    return dict(
        labels=torch.cat([
            torch.stack([sample.get('pred_' + key)
                         for sample in samples]).flatten().float()
            for key in head.label_keys
        ]),
        scores=torch.cat([
            torch.stack([sample.get('pred_' + key)
                         for sample in samples]).flatten().float()
            for key in head.score_keys
        ]),
        losses={key: float(value.detach()) for key, value in losses.items()
                if 'loss' in key},
        gradient=gradient.float(),
        masks=torch.cat(masks) if masks else None)


def compare(reference: dict, measured: dict) -> Dict[str, float]:
    """The differences of ``measured`` from ``reference`` (float32)."""
    figures = dict(
        labels_changed_pct=100 * float(
            (reference['labels'] != measured['labels']).float().mean()),
        max_score_diff=float(
            (reference['scores'] - measured['scores']).abs().max()),
        gradient_rel_diff=float(
            (reference['gradient'] - measured['gradient']).norm() /
            reference['gradient'].norm()))
    for key, value in reference['losses'].items():
        figures[f'{key}_rel_diff'] = abs(measured['losses'][key] - value) / (
            abs(value) or 1.0)
    if reference['masks'] is not None:
        figures['psp_pruning_changed_pct'] = 100 * float(
            (reference['masks'] != measured['masks']).float().mean())
    return figures


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmcpsp'))
    dataset_type = cfg.train_dataloader.dataset.type
    with tempfile.TemporaryDirectory() as tmp_dir:
        data_root = args.data_root
        if data_root is None:
            import mmcpsp.testing as testing
            name, kwargs = GENERATORS[dataset_type]
            data_root = osp.join(tmp_dir, 'data')
            getattr(testing, name)(data_root, **kwargs)
        data = batch_of(cfg, data_root, args.batch_size)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    reference = run(model, data, amp=False)
    choices = [()] + [(region, ) for region in REGIONS]
    if len(REGIONS) > 1:
        choices.append(REGIONS)
    rows = {}
    for regions in choices:
        with float32_regions(regions):
            rows['+'.join(regions) or 'none'] = compare(
                reference, run(model, data, amp=True))
    keys = sorted(set(itertools.chain(*rows.values())))
    print(f'config: {args.config}; batch {len(data["data_samples"])}; '
          f'weights: {args.checkpoint or "random"}')
    print('| kept in float32 | ' + ' | '.join(keys) + ' |')
    print('|---' * (len(keys) + 1) + '|')
    for name, figures in rows.items():
        print(f'| {name} | ' + ' | '.join(
            f'{figures.get(key, float("nan")):.3g}' for key in keys) + ' |')
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(rows, file, indent=2)


if __name__ == '__main__':
    main()
