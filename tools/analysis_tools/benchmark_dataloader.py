"""Benchmark AVE feature loading: raw HDF5 reads vs the training loader.

Both sides read the same samples (the train split of an AVE folder) with
the page cache warm:

- raw: h5py ``read_direct`` of the float64 audio and visual rows into
  preallocated buffers, one thread;
- loader: mmengine's dataloader (``Runner.build_dataloader``) over
  AVEDataset + LoadAVEFeatures + PackAVELInputs with the chosen collate
  function and workers, timed over whole epochs after a warm-up epoch
  (persistent workers, so worker start-up is not counted);
- for reference, the same loader without workers (in this process), which
  shows what moving the samples between processes costs.

Without ``--data-root`` an AVE folder with float64 contiguous,
uncompressed files (the layout of the release) is generated first.

Example::

    python tools/analysis_tools/benchmark_dataloader.py --num-videos 1024
"""
import argparse
import os
import tempfile
import time

import h5py
import numpy as np
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmcpsp  # noqa: F401
from mmcpsp.datasets import ave_files as files
from mmcpsp.datasets.synthetic_ave import generate_synthetic_ave


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--data-root',
        help='an AVE folder to read (default: generate one, contiguous '
        'float64, in --work-dir)')
    parser.add_argument(
        '--work-dir',
        help='where to generate the folder (default: a temporary folder, '
        'removed afterwards); it must not hold AVE files already: pass '
        'those as --data-root')
    parser.add_argument(
        '--num-videos',
        type=int,
        default=1024,
        help='videos of the generated folder (2 MiB of visual features '
        'each); the train split is 80%%')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--dtype', default='float32')
    parser.add_argument(
        '--collate',
        default='avel_collate',
        choices=['avel_collate', 'pseudo_collate', 'default_collate'])
    parser.add_argument(
        '--sharing-strategy',
        choices=torch.multiprocessing.get_all_sharing_strategies(),
        help='torch.multiprocessing sharing strategy (default: torch\'s)')
    parser.add_argument(
        '--epochs', type=int, default=3, help='timed epochs of the loader')
    parser.add_argument(
        '--raw-passes', type=int, default=3, help='timed raw passes')
    return parser.parse_args()


def warm_page_cache(data_root: str) -> int:
    """Read every file once so that both sides read from memory."""
    total = 0
    for name in sorted(os.listdir(data_root)):
        path = os.path.join(data_root, name)
        if os.path.isfile(path):
            with open(path, 'rb', buffering=0) as file:
                while chunk := file.read(64 << 20):
                    total += len(chunk)
    return total


def raw_read_rate(data_root: str, rows: np.ndarray, passes: int) -> float:
    """Videos per second of single-threaded h5py reads (audio + visual)."""
    with h5py.File(os.path.join(data_root, files.AUDIO_FILE), 'r') as audio, \
            h5py.File(os.path.join(data_root, files.VISUAL_FILE),
                      'r') as visual:
        audio_set, visual_set = (audio[files.FEATURE_KEY],
                                 visual[files.FEATURE_KEY])
        audio_buffer = np.empty(audio_set.shape[1:], audio_set.dtype)
        visual_buffer = np.empty(visual_set.shape[1:], visual_set.dtype)
        best = 0.0
        for _ in range(passes):
            started = time.perf_counter()
            for row in rows.tolist():
                audio_set.read_direct(audio_buffer, np.s_[row])
                visual_set.read_direct(visual_buffer, np.s_[row])
            best = max(best, len(rows) / (time.perf_counter() - started))
    return best


def loader_rate(args: argparse.Namespace, data_root: str,
                num_workers: int) -> tuple:
    """Videos per second of the dataloader: first epoch, later epochs."""
    init_default_scope('mmcpsp')
    dataloader = Runner.build_dataloader(
        dict(
            batch_size=args.batch_size,
            num_workers=num_workers,
            persistent_workers=num_workers > 0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type=args.collate),
            dataset=dict(
                type='AVEDataset',
                data_root=data_root,
                split='train',
                pipeline=[
                    dict(type='LoadAVEFeatures', dtype=args.dtype),
                    dict(type='PackAVELInputs')
                ])))
    rates = []
    for epoch in range(args.epochs + 1):
        started = time.perf_counter()
        num_videos = 0
        for batch in dataloader:
            num_videos += len(batch['data_samples'])
        rates.append(num_videos / (time.perf_counter() - started))
    visual = batch['inputs']['visual']
    sample = visual[0] if isinstance(visual, list) else visual
    # rates[0] includes worker start-up; the rest are steady state.
    return rates[0], rates[1:], sample.dtype


def main() -> None:
    args = parse_args()
    if args.sharing_strategy:
        torch.multiprocessing.set_sharing_strategy(args.sharing_strategy)
    tmp = None
    data_root = args.data_root
    if data_root is None:
        if args.work_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix='ave_bench_')
        data_root = args.work_dir or tmp.name
        info = generate_synthetic_ave(
            data_root,
            num_videos=args.num_videos,
            compression='none',
            num_noisy=1)
        print(f'generated {info["num_videos"]} videos (contiguous float64) '
              f'in {info["seconds"]:.1f} s, {info["disk_bytes"] / 2**20:.0f} '
              f'MiB: {data_root}')
    try:
        rows = files.read_order(
            os.path.join(data_root, files.order_file('train')), None)
        cached = warm_page_cache(data_root)
        print(f'page cache warmed: {cached / 2**20:.0f} MiB read')
        raw = raw_read_rate(data_root, rows, args.raw_passes)
        first, steady, dtype = loader_rate(args, data_root, args.num_workers)
        loader = float(np.median(steady))
        if args.num_workers:
            # The same pipeline without workers isolates the cost of moving
            # samples between processes.
            _, in_process, _ = loader_rate(args, data_root, 0)
        print(f'samples: {len(rows)} (train split), batch size '
              f'{args.batch_size}, {args.num_workers} workers, '
              f'{args.collate}, sharing strategy '
              f'{torch.multiprocessing.get_sharing_strategy()}, '
              f'cpus {os.cpu_count()}')
        print(f'raw h5py read (float64, 1 thread, best of '
              f'{args.raw_passes}): {raw:8.0f} videos/s')
        print(f'dataloader ({dtype}, median of {len(steady)} epochs):'
              f'      {loader:8.0f} videos/s  (epochs: '
              f'{", ".join(f"{rate:.0f}" for rate in steady)}; first epoch '
              f'with worker start-up {first:.0f})')
        if args.num_workers:
            print(f'same pipeline, 0 workers (median of {len(in_process)} '
                  f'epochs): {float(np.median(in_process)):8.0f} videos/s')
        print(f'loader / raw: {loader / raw:.2f}')
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == '__main__':
    main()
