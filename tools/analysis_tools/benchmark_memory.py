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
import threading
import time
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmcpsp.datasets.transforms.vggsound_loading  # noqa: F401
import mmcpsp.datasets.vggsound_avel.vggsound_avel_dataset  # noqa: F401
from mmcpsp.datasets.vggsound_avel.hdf5 import DEFAULT_HDF5_DIR, is_converted
from mmcpsp.testing.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)

_SPLITS = ('train', 'val', 'test')
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
    parser.add_argument(
        '--reuse-memory', choices=['true', 'false'],
        help='reuse_memory of avel_collate (default: that of the configs, '
        'else avel_collate\'s own)')
    parser.add_argument('--splits', nargs='+', default=list(_SPLITS),
                        choices=_SPLITS, help='splits to read')
    parser.add_argument(
        '--interval', type=float, default=0.25,
        help='seconds between two samples of the memory; reading '
        'smaps_rollup costs CPU, every 20 ms about as much as the loading')
    parser.add_argument(
        '--measure', metavar='DATA_ROOT',
        help='(internal) measure one data root and print a JSON line')
    return parser.parse_args(argv)


def _memory_kib(pid: int) -> Dict[str, int]:
    """Rss, Pss and Pss_Shmem of one process in KiB; empty if it ended."""
    values = {}
    try:
        with open(f'/proc/{pid}/smaps_rollup') as file:
            for line in file:
                name, _, rest = line.partition(':')
                if name in ('Rss', 'Pss', 'Pss_Shmem'):
                    values[name] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    return values


def _shared_files(pid: int, found: Dict[tuple, int]) -> None:
    """Add the shared-memory files ``pid`` holds open to ``found``.

    ``found`` maps (device, inode) to allocated KiB. These are the memfd
    and /dev/shm files that carry batches from the workers: while a batch
    waits in a queue, or sits in the main process unread, its pages are
    mapped by no process (or not touched), so no RSS or PSS shows them.
    """
    try:
        fds = os.listdir(f'/proc/{pid}/fd')
    except (FileNotFoundError, PermissionError):
        return
    for fd in fds:
        path = f'/proc/{pid}/fd/{fd}'
        try:
            target = os.readlink(path)
            if not target.startswith(('/memfd:', '/dev/shm/')):
                continue
            stat = os.stat(path)
        except (FileNotFoundError, PermissionError):
            continue
        found[(stat.st_dev, stat.st_ino)] = stat.st_blocks * 512 // 1024


def _descendants(pid: int) -> List[int]:
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f'/proc/{parent}/task')
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f'/proc/{parent}/task/{task}/children') as file:
                    children = [int(child) for child in file.read().split()]
            except FileNotFoundError:
                continue
            found.extend(children)
            stack.extend(children)
    return found


def tree_memory_kib(pid: int) -> Dict[str, int]:
    """Memory (KiB) of ``pid`` and all its descendants.

    ``Rss`` and ``Pss`` are summed over the processes; ``Shm`` is the
    shared-memory files they hold open, each counted once; ``Total`` is
    ``Pss`` with the mapped shared memory replaced by ``Shm``: what the
    tree holds, whether a page is mapped or not.
    """
    total = dict(Rss=0, Pss=0, Total=0, Shm=0, processes=0)
    shared: Dict[tuple, int] = {}
    for member in [pid] + _descendants(pid):
        values = _memory_kib(member)
        if values:
            total['Rss'] += values['Rss']
            total['Pss'] += values['Pss']
            total['Total'] += values['Pss'] - values.get('Pss_Shmem', 0)
            total['processes'] += 1
            _shared_files(member, shared)
    total['Shm'] = sum(shared.values())
    total['Total'] += total['Shm']
    return total


class TreeSampler(threading.Thread):
    """Samples the memory of this process tree until stopped."""

    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: List[Dict[str, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(tree_memory_kib(os.getpid()))
            self._stop_event.wait(self.interval)

    def stop(self) -> List[Dict[str, int]]:
        self._stop_event.set()
        self.join()
        return self.samples


def collate_config(args: argparse.Namespace) -> dict:
    """The configs' collate_fn, or the one of ``--collate``."""
    config = dict(CONFIG_COLLATE)
    if args.collate and args.collate != config['type']:
        config = dict(type=args.collate)
    if args.reuse_memory:
        if config['type'] != 'avel_collate':
            raise SystemExit('--reuse-memory applies to avel_collate')
        config['reuse_memory'] = args.reuse_memory == 'true'
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
            *(['--reuse-memory', args.reuse_memory]
              if args.reuse_memory else []),
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
