"""Peak memory of a pass over VGGSound-AVEL100k, for several dataset sizes.

For each size a synthetic data root in the converted HDF5 layout is
generated under WORK_DIR (once; reused by later runs), then a fresh Python
process imports mmcpsp, records its memory (the baseline: the interpreter
with torch, mmengine, mmaction and mmcpsp imported), builds the train, val
and test datasets (VGGSoundAVELDataset + LoadVGGSoundAVELFeatures +
PackAVELInputs) and their dataloaders exactly as a config does (mmengine's
Runner.build_dataloader, the configs' collate_fn, persistent workers) and
reads every video once. A thread samples, every ``--interval`` seconds, the
memory of the whole process tree (the process and its DataLoader workers)
from /proc:

- RSS: the sum of every process's resident set; pages shared between
  processes (the libraries and data inherited through fork, the shared
  memory carrying batches) count once per process, so this overstates;
- PSS: the proportional set size, where a page shared by k processes
  counts 1/k in each; the sum is the memory the processes have mapped;
- total: PSS without its shared-memory part, plus the shared-memory files
  (memfd, /dev/shm) the tree holds open, each counted once. A batch on its
  way from a worker lives in such a file, and while it waits in a queue or
  sits unread in the main process no process has its pages mapped: RSS
  and PSS miss it, the total does not. This is the memory the tree holds.

The table gives, above the baseline and side by side for each size, the
memory once the datasets are built (what grows with the number of videos:
their lists of video ids and rows), the median over the pass and the peak.
The batches in flight, up to prefetch_factor x workers of them queued in
the main process plus one being filled in each worker, dominate the
median and the peak; they depend on the batch size, not on the dataset.

    nice python tools/analysis_tools/benchmark_memory.py WORK_DIR \
        --sizes 10000 100000

Soak mode (``--soak-epochs N``): memory over a long training run. A
synthetic AVE root is generated under WORK_DIR (once): with ``--meta-dir``
the real annotations and splits (AVE's 4,143 videos, 3,339 for training),
else ``--soak-videos`` random ones. Then tools/train.py trains
``--soak-config`` (configs/cpsp_fully_ave.py) on it for N epochs, as a user
would (validation and checkpoints included), with
:class:`~mmcpsp.engine.hooks.ProcessMemoryHook` sampling the RSS and PSS of
the process tree after every epoch. The table lists every epoch; the
summary gives the first and last epochs' RSS and the growth from epoch 2
to epoch N in percent (epoch 1 holds one-time allocations: the optimizer
state, the allocator's first blocks). The exit status is 1 if that growth
reaches ``--max-growth`` percent.

    nice python tools/analysis_tools/benchmark_memory.py WORK_DIR \
        --soak-epochs 20 --meta-dir /work/shared/data/ave_meta
"""
import argparse
import gc
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmcpsp.datasets.transforms.vggsound_loading  # noqa: F401
import mmcpsp.datasets.vggsound_avel.vggsound_avel_dataset  # noqa: F401
from mmcpsp.datasets.constants import SPLITS
from mmcpsp.datasets.vggsound_avel.hdf5 import DEFAULT_HDF5_DIR, is_converted
from mmcpsp.testing.synthetic_ave import generate_synthetic_ave
from mmcpsp.testing.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)
from mmcpsp.utils.process_memory import TreeSampler, tree_memory_kib

REPO_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_CONFIG = os.path.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                       'vggsound_avel100k_fully.py')
#: The collate_fn of the VGGSound-AVEL100k configs.
CONFIG_COLLATE = dict(Config.fromfile(_CONFIG).train_dataloader.collate_fn)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', help='where the data roots are generated')
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[10000, 100000], help='numbers of videos')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--dtype', default='float32',
                        help='dtype of the loaded features')
    parser.add_argument(
        '--collate', choices=['avel_collate', 'pseudo_collate'],
        help='collate function (default: that of the VGGSound-AVEL100k '
        f'configs, {CONFIG_COLLATE})')
    parser.add_argument('--splits', nargs='+', default=list(SPLITS),
                        choices=SPLITS, help='splits to read')
    parser.add_argument(
        '--interval', type=float, default=0.25,
        help='seconds between two samples of the memory; reading '
        'smaps_rollup costs CPU, every 20 ms about as much as the loading')
    parser.add_argument(
        '--measure', metavar='DATA_ROOT',
        help='(internal) measure one data root and print a JSON line')
    soak = parser.add_argument_group('soak mode')
    soak.add_argument(
        '--soak-epochs', type=int, metavar='N',
        help='train --soak-config for N (at least 3) epochs and report the '
        'memory after each')
    soak.add_argument(
        '--soak-config',
        default=os.path.join(REPO_ROOT, 'configs', 'cpsp_fully_ave.py'),
        help='config of the soak run (default: configs/cpsp_fully_ave.py)')
    soak.add_argument(
        '--meta-dir',
        help='real AVE metadata (Annotations.txt, orders, mil_labels.h5): '
        'an AVE-sized root with the real splits')
    soak.add_argument(
        '--soak-videos', type=int,
        help='without --meta-dir: the number of synthetic videos')
    soak.add_argument(
        '--max-growth', type=float, default=5.0,
        help='exit with status 1 if the RSS grows by this many percent or '
        'more from epoch 2 to the last (default: %(default)s)')
    args = parser.parse_args(argv)
    if args.soak_epochs is not None:
        if args.soak_epochs < 3:
            parser.error('--soak-epochs must be at least 3 (the growth is '
                         'measured from epoch 2)')
        if (args.meta_dir is None) == (args.soak_videos is None):
            parser.error('the soak mode needs --meta-dir or --soak-videos')
    return args


def collate_config(args: argparse.Namespace) -> dict:
    """The configs' collate_fn, or the one of ``--collate``."""
    config = dict(CONFIG_COLLATE)
    if args.collate and args.collate != config['type']:
        config = dict(type=args.collate)
    return config


def build_dataloaders(args: argparse.Namespace) -> list:
    """The dataloaders of ``args.splits``, built as a config builds them."""
    return [
        Runner.build_dataloader(
            dict(
                batch_size=args.batch_size,
                num_workers=args.num_workers,
                persistent_workers=True,
                sampler=dict(type='DefaultSampler', shuffle=split == 'train'),
                collate_fn=collate_config(args),
                dataset=dict(
                    type='VGGSoundAVELDataset',
                    data_root=args.measure,
                    split=split,
                    layout='hdf5',
                    pipeline=[
                        dict(type='LoadVGGSoundAVELFeatures',
                             dtype=args.dtype),
                        dict(type='PackAVELInputs')
                    ])),
            seed=0) for split in args.splits
    ]


def measure(args: argparse.Namespace) -> dict:
    """Read every video of ``args.measure`` once; report memory and time.

    All datasets are built first (a runner holds its train, val and test
    datasets together); the dataloaders then run one after the other, each
    shut down after its pass.
    """
    init_default_scope('mmcpsp')
    gc.collect()
    baseline = tree_memory_kib(os.getpid())
    sampler = TreeSampler(args.interval)
    sampler.start()
    began = time.perf_counter()
    dataloaders = build_dataloaders(args)
    gc.collect()
    built = tree_memory_kib(os.getpid())
    num_samples = 0
    while dataloaders:
        for batch in dataloaders[0]:
            num_samples += len(batch['data_samples'])
        del dataloaders[0], batch
        gc.collect()
    seconds = time.perf_counter() - began
    samples = sampler.stop()
    result = dict(data_root=args.measure, samples=num_samples,
                  seconds=round(seconds, 1),
                  peak_processes=max(s['processes'] for s in samples))
    for key in ('Rss', 'Pss', 'Total'):
        values = np.array([s[key] for s in samples]) - baseline[key]
        name = key.lower()
        result.update({
            f'baseline_{name}_mib': round(baseline[key] / 1024),
            f'datasets_{name}_above_baseline_mib': round(
                (built[key] - baseline[key]) / 1024),
            f'median_{name}_above_baseline_mib': round(
                float(np.median(values)) / 1024),
            f'peak_{name}_above_baseline_mib': round(values.max() / 1024),
        })
    return result


def ensure_data_root(work_dir: str, num_videos: int) -> str:
    """Generate (once) a synthetic root of ``num_videos`` in HDF5 layout."""
    data_root = os.path.join(work_dir, f'vggsound_avel_synthetic_{num_videos}')
    if is_converted(os.path.join(data_root, DEFAULT_HDF5_DIR)):
        return data_root
    began = time.perf_counter()
    print(f'Generating {num_videos} videos in {data_root}', flush=True)
    generate_synthetic_vggsound_avel(data_root, num_videos, layout='hdf5')
    print(f'  done in {time.perf_counter() - began:.0f} s', flush=True)
    return data_root


def ensure_ave_root(args: argparse.Namespace) -> str:
    """Generate (once) the synthetic AVE root of the soak run."""
    name = 'ave_real_splits' if args.meta_dir else f'ave_{args.soak_videos}'
    data_root = os.path.join(args.work_dir, 'soak_data', name)
    marker = os.path.join(data_root, 'generated.json')
    if os.path.isfile(marker):
        return data_root
    print(f'Generating a synthetic AVE root in {data_root}', flush=True)
    summary = generate_synthetic_ave(
        data_root, num_videos=args.soak_videos or 400,
        meta_dir=args.meta_dir, overwrite=True)
    with open(marker, 'w') as file:
        json.dump(summary, file)
    print(f'  {summary["splits"]} videos in {summary["seconds"]:.0f} s',
          flush=True)
    return data_root


def soak_config(args: argparse.Namespace, rows_file: str) -> str:
    """``--soak-config`` with ProcessMemoryHook added to its custom hooks."""
    base = os.path.abspath(args.soak_config)
    hooks = list(Config.fromfile(base).get('custom_hooks', []))
    hooks.append(dict(type='ProcessMemoryHook', out_file=rows_file))
    path = os.path.join(args.work_dir, 'soak_config.py')
    with open(path, 'w') as file:
        file.write(f'_base_ = [{base!r}]\n'
                   f'custom_hooks = {[dict(hook) for hook in hooks]!r}\n')
    return path


def growth_percent(rows: List[Dict], key: str = 'rss_mib') -> float:
    """Growth of ``key`` from epoch 2 to the last epoch, in percent."""
    second = next(row[key] for row in rows if row['epoch'] == 2)
    return 100 * (rows[-1][key] - second) / second


def soak(args: argparse.Namespace) -> int:
    """Train for ``--soak-epochs`` epochs; print the memory of each."""
    # tools/train.py runs from the repository root.
    args.work_dir = os.path.abspath(args.work_dir)
    data_root = ensure_ave_root(args)
    work_dir = os.path.join(args.work_dir, 'soak_run')
    rows_file = os.path.join(args.work_dir, 'soak_memory.jsonl')
    if os.path.exists(rows_file):
        os.remove(rows_file)
    options = [f'train_cfg.max_epochs={args.soak_epochs}']
    for split in ('train', 'val', 'test'):
        options.append(f'{split}_dataloader.dataset.data_root={data_root}')
    command = [
        sys.executable, os.path.join(REPO_ROOT, 'tools', 'train.py'),
        soak_config(args, rows_file), '--work-dir', work_dir,
        '--cfg-options', *options
    ]
    print(' '.join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO_ROOT)
    with open(rows_file) as file:
        rows = [json.loads(line) for line in file]
    config = os.path.relpath(os.path.abspath(args.soak_config), REPO_ROOT)
    print(f'\n{config}, {args.soak_epochs} epochs on {data_root}; '
          'memory of the process tree after each epoch, MiB')
    print('epoch | RSS | PSS | processes')
    for row in rows:
        print(f'{row["epoch"]} | {row["rss_mib"]:.1f} | {row["pss_mib"]:.1f} '
              f'| {row["processes"]}')
    growth = growth_percent(rows)
    print(f'RSS after epoch 1: {rows[0]["rss_mib"]:.1f} MiB; after epoch '
          f'{rows[-1]["epoch"]}: {rows[-1]["rss_mib"]:.1f} MiB; growth from '
          f'epoch 2 to epoch {rows[-1]["epoch"]}: {growth:+.2f} % (PSS '
          f'{growth_percent(rows, "pss_mib"):+.2f} %)')
    if growth >= args.max_growth:
        print(f'The RSS grew by {args.max_growth} % or more.')
        return 1
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.soak_epochs is not None:
        return soak(args)
    if args.measure:
        print(json.dumps(measure(args)), flush=True)
        return 0
    results = []
    for num_videos in args.sizes:
        data_root = ensure_data_root(args.work_dir, num_videos)
        command = [
            sys.executable, os.path.abspath(__file__), args.work_dir,
            '--measure', data_root, '--batch-size', str(args.batch_size),
            '--num-workers', str(args.num_workers), '--dtype', args.dtype,
            '--interval', str(args.interval),
            *(['--collate', args.collate] if args.collate else []),
            '--splits', *args.splits
        ]
        output = subprocess.run(
            command, check=True, stdout=subprocess.PIPE, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        result['videos'] = num_videos
        results.append(result)
        print(json.dumps(result), flush=True)
    print(f'\nbatch size {args.batch_size}, {args.num_workers} workers, '
          f'collate_fn {collate_config(args)}, '
          f'{args.dtype}, splits {" ".join(args.splits)}; '
          'memory in MiB')
    columns = ('videos', 'samples', 'seconds', 'datasets_pss_above_baseline_mib',
               'median_pss_above_baseline_mib', 'peak_pss_above_baseline_mib',
               'median_rss_above_baseline_mib', 'peak_rss_above_baseline_mib',
               'median_total_above_baseline_mib',
               'peak_total_above_baseline_mib', 'peak_processes')
    print(' | '.join(columns))
    for result in results:
        print(' | '.join(str(result[column]) for column in columns))
    return 0


if __name__ == '__main__':
    sys.exit(main())
