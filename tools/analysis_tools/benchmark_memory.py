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
"""
import argparse
import gc
import json
import os
import subprocess
import sys
import time
from typing import List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmcpsp.datasets.transforms.vggsound_loading  # noqa: F401
import mmcpsp.datasets.vggsound_avel.vggsound_avel_dataset  # noqa: F401
from mmcpsp.datasets.constants import SPLITS
from mmcpsp.datasets.vggsound_avel.hdf5 import DEFAULT_HDF5_DIR, is_converted
from mmcpsp.testing.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)
from mmcpsp.utils.process_memory import TreeSampler, tree_memory_kib

_CONFIG = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    'configs', '_base_', 'datasets', 'vggsound_avel100k_fully.py')
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
    return parser.parse_args(argv)


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


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
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
