"""Benchmark AVE feature loading: raw HDF5 reads vs the training loader.

Both sides read the same samples (the train split of an AVE folder) with
the page cache warm:

- raw: h5py ``read_direct`` of the float64 audio and visual rows into
  preallocated buffers, one thread;
- loader: mmengine's dataloader (``Runner.build_dataloader``) over
  AVEDataset + LoadAVEFeatures + PackAVELInputs with the chosen collate
  function and workers, timed over whole epochs after a warm-up epoch
  (persistent workers, so worker start-up is not counted), once as
  delivered and once with the main process reading every value it gets;
- with ``avel_collate``, the same loader with ``reuse_memory=False``:
  a new shared-memory segment per batch, as ``default_collate`` does;
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
from mmcpsp.datasets.ave import files
from mmcpsp.testing.synthetic_ave import generate_synthetic_ave


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


def build_loader(args: argparse.Namespace, data_root: str, num_workers: int,
                 collate: dict):
    init_default_scope('mmcpsp')
    return Runner.build_dataloader(
        dict(
            batch_size=args.batch_size,
            num_workers=num_workers,
            persistent_workers=num_workers > 0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=collate,
            dataset=dict(
                type='AVEDataset',
                data_root=data_root,
                split='train',
                pipeline=[
                    dict(type='LoadAVEFeatures', dtype=args.dtype),
                    dict(type='PackAVELInputs')
                ])))


def _tensors(batch: dict) -> list:
    values = batch['inputs'].values()
    return [item for value in values
            for item in (value if isinstance(value, list) else [value])]


def loader_rates(dataloader, epochs: int, read: bool) -> tuple:
    """Videos per second of one epoch after another.

    With ``read``, the main process also reads every value it receives
    once (a sum), as the model's first layer would.
    """
    rates = []
    for _ in range(epochs):
        started = time.perf_counter()
        num_videos = 0
        for batch in dataloader:
            num_videos += len(batch['data_samples'])
            if read:
                for tensor in _tensors(batch):
                    tensor.sum()
        rates.append(num_videos / (time.perf_counter() - started))
    return rates, _tensors(batch)[-1].dtype


def measure(args: argparse.Namespace, data_root: str, num_workers: int,
            collate: dict) -> dict:
    """Rates of one loader: delivered, and delivered and read."""
    dataloader = build_loader(args, data_root, num_workers, collate)
    # The first epoch starts the (persistent) workers and fills their
    # buffers: it is reported apart.
    (first, ), dtype = loader_rates(dataloader, 1, read=False)
    delivered, _ = loader_rates(dataloader, args.epochs, read=False)
    read, _ = loader_rates(dataloader, args.epochs, read=True)
    del dataloader
    return dict(first=first, delivered=delivered, read=read, dtype=dtype)


def describe(name: str, result: dict) -> str:
    def rates(values):
        return (f'{float(np.median(values)):6.0f} videos/s (epochs: '
                f'{", ".join(f"{value:.0f}" for value in values)})')

    return (f'{name}\n'
            f'  delivered:                      {rates(result["delivered"])}\n'
            f'  delivered, main process reads:  {rates(result["read"])}\n'
            f'  first epoch (worker start-up):  {result["first"]:6.0f} '
            'videos/s')


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
        collate = dict(type=args.collate)
        variants = [(f'{args.num_workers} workers, {args.collate}',
                     args.num_workers, collate)]
        if args.collate == 'avel_collate':
            variants.append(
                (f'{args.num_workers} workers, avel_collate '
                 'reuse_memory=False (a new shared-memory segment per '
                 'batch, as default_collate)', args.num_workers,
                 dict(collate, reuse_memory=False)))
        if args.num_workers:
            # The same pipeline without workers shows what moving the
            # samples between processes costs.
            variants.append((f'0 workers, {args.collate}', 0, collate))
        results = [(name, measure(args, data_root, workers, config))
                   for name, workers, config in variants]
        print(f'samples: {len(rows)} (train split), batch size '
              f'{args.batch_size}, {results[0][1]["dtype"]} to the model, '
              f'sharing strategy '
              f'{torch.multiprocessing.get_sharing_strategy()}, cpus '
              f'{os.cpu_count()}, median of {args.epochs} epochs')
        print(f'raw h5py read (float64, 1 thread, best of '
              f'{args.raw_passes}): {raw:6.0f} videos/s')
        for name, result in results:
            print(describe(name, result))
        main_rate = float(np.median(results[0][1]['delivered']))
        print(f'ratio {variants[0][0]} / raw read: {main_rate / raw:.2f}')
        if args.collate == 'avel_collate':
            for mode in ('delivered', 'read'):
                ratio = (float(np.median(results[0][1][mode])) /
                         float(np.median(results[1][1][mode])))
                print(f'ratio reused / new shared memory ({mode}): '
                      f'{ratio:.2f}')
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == '__main__':
    main()
