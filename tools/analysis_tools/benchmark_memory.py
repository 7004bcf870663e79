"""Peak memory of a pass over VGGSound-AVEL100k, for several dataset sizes.

For each size a synthetic data root in the converted HDF5 layout is
generated under WORK_DIR (once; reused by later runs), then a fresh Python
process imports mmcpsp, records its memory (the baseline: the interpreter
with torch, mmengine, mmaction and mmcpsp imported), builds the train, val
and test datasets (VGGSoundAVELDataset + LoadVGGSoundAVELFeatures +
PackAVELInputs) and their dataloaders exactly as a config does (mmengine's
Runner.build_dataloader, pseudo_collate, persistent workers) and reads
every video once. A thread samples, every 20 ms, the memory of the whole
process tree (the process and its DataLoader workers) from /proc:

- RSS: the sum of every process's resident set; pages shared between
  processes (the libraries and data inherited through fork, the shared
  memory carrying batches) count once per process, so this overstates;
- PSS: the proportional set size, where a page shared by k processes
  counts 1/k in each; the sum is the memory the tree really holds.

The table gives the peaks above the baseline side by side, which must not
grow with the number of videos.

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

from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmcpsp.datasets.transforms.vggsound_loading  # noqa: F401
import mmcpsp.datasets.vggsound_avel_dataset  # noqa: F401
from mmcpsp.datasets.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)
from mmcpsp.datasets.vggsound_avel_hdf5 import DEFAULT_HDF5_DIR, is_converted

_SPLITS = ('train', 'val', 'test')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', help='where the data roots are generated')
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[10000, 100000], help='numbers of videos')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--dtype', default='float32',
                        help='dtype of the loaded features')
    parser.add_argument('--splits', nargs='+', default=list(_SPLITS),
                        choices=_SPLITS, help='splits to read')
    parser.add_argument(
        '--measure', metavar='DATA_ROOT',
        help='(internal) measure one data root and print a JSON line')
    return parser.parse_args(argv)


def _memory_kib(pid: int) -> Dict[str, int]:
    """Rss and Pss of one process in KiB; empty if it has ended."""
    values = {}
    try:
        with open(f'/proc/{pid}/smaps_rollup') as file:
            for line in file:
                name, _, rest = line.partition(':')
                if name in ('Rss', 'Pss'):
                    values[name] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    return values


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
    """Summed Rss and Pss (KiB) of ``pid`` and all its descendants."""
    total = dict(Rss=0, Pss=0, processes=0)
    for member in [pid] + _descendants(pid):
        values = _memory_kib(member)
        if values:
            total['Rss'] += values['Rss']
            total['Pss'] += values['Pss']
            total['processes'] += 1
    return total


class PeakSampler(threading.Thread):
    """Samples the process tree of this process until stopped."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = dict(Rss=0, Pss=0, processes=0)
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            sample = tree_memory_kib(os.getpid())
            for key, value in sample.items():
                self.peak[key] = max(self.peak[key], value)
            self._stop_event.wait(self.interval)

    def stop(self) -> Dict[str, int]:
        self._stop_event.set()
        self.join()
        return self.peak


def measure(args: argparse.Namespace) -> dict:
    """Read every video of ``args.measure`` once; report memory and time."""
    init_default_scope('mmcpsp')
    gc.collect()
    baseline = tree_memory_kib(os.getpid())
    sampler = PeakSampler()
    sampler.start()
    began = time.perf_counter()
    num_samples = 0
    for split in args.splits:
        dataloader = Runner.build_dataloader(
            dict(
                batch_size=args.batch_size,
                num_workers=args.num_workers,
                persistent_workers=True,
                sampler=dict(type='DefaultSampler', shuffle=split == 'train'),
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
            seed=0)
        for batch in dataloader:
            num_samples += len(batch['data_samples'])
        del dataloader, batch
        gc.collect()
    seconds = time.perf_counter() - began
    peak = sampler.stop()
    return dict(
        data_root=args.measure,
        samples=num_samples,
        seconds=round(seconds, 1),
        baseline_rss_mib=round(baseline['Rss'] / 1024),
        baseline_pss_mib=round(baseline['Pss'] / 1024),
        peak_rss_mib=round(peak['Rss'] / 1024),
        peak_pss_mib=round(peak['Pss'] / 1024),
        peak_processes=peak['processes'],
        rss_above_baseline_mib=round((peak['Rss'] - baseline['Rss']) / 1024),
        pss_above_baseline_mib=round((peak['Pss'] - baseline['Pss']) / 1024))


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
            '--splits', *args.splits
        ]
        output = subprocess.run(
            command, check=True, stdout=subprocess.PIPE, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        result['videos'] = num_videos
        results.append(result)
        print(json.dumps(result), flush=True)
    print(f'\nbatch size {args.batch_size}, {args.num_workers} workers, '
          f'{args.dtype}, splits {" ".join(args.splits)}; memory in MiB')
    columns = ('videos', 'samples', 'seconds', 'baseline_pss_mib',
               'pss_above_baseline_mib', 'baseline_rss_mib',
               'rss_above_baseline_mib', 'peak_processes')
    print(' | '.join(columns))
    for result in results:
        print(' | '.join(str(result[column]) for column in columns))
    return 0


if __name__ == '__main__':
    sys.exit(main())
