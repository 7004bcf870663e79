"""Speed and memory of a config, measured side by side in one run.

On generated data of the config's shapes (a synthetic AVE, VGGSound-AVEL
or LLP folder in the released file format), this tool measures, in one process:

- the model-only training step (``model.train_step`` on batches already in
  memory) in float32 and float64, and a plain PyTorch loop of the same
  network (``torch.optim`` and ``clip_grad_norm_`` around the model's loss)
  as the yardstick;
- the full runner loop (mmengine's Runner training the config, with its
  loader, hooks and logging; validation and checkpoints off) and its ratio
  to the model step;
- inference: throughput at the config's batch size and latency at batch 1;
- the config's loader alone, and the streaming loader (no preload, 2
  DataLoader workers) beside it;
- the peak memory of the process tree (the process and its loader
  workers, sampled from /proc every 0.25 s);
- bfloat16 mixed precision (``--amp``) beside float32 on a CPU with
  bfloat16 kernels: model step, runner and inference;
- the same on the GPU when there is one (device store, and with AMP).

Rates are medians over ``--rounds`` rounds; ratios compare figures of the
same run. Example::

    python tools/analysis_tools/benchmark.py configs/cpsp_fully_ave.py \\
        --out work_dirs/benchmark.json

Figures measured with it are in docs/benchmark.md.
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from mmcpsp.engine import (  # noqa: E402
    cpu_supports_bfloat16,
    enable_mixed_precision,
)
from mmcpsp.engine.optim_wrappers import inference_autocast  # noqa: E402
from mmcpsp.registry import MODELS  # noqa: E402
from mmcpsp.testing import (  # noqa: E402
    generate_synthetic_ave,
    generate_synthetic_llp,
    generate_synthetic_vggsound_avel,
)
from mmcpsp.utils.process_memory import (  # noqa: E402
    TreeSampler,
    tree_memory_kib,
)

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--num-videos', type=int, default=1000,
        help='videos of the generated dataset (about 80 %% train)')
    parser.add_argument(
        '--iters', type=int, default=13,
        help='training steps per round of the model-step measurements')
    parser.add_argument(
        '--epochs', type=int, default=4,
        help='epochs of the runner; the first is a warm-up')
    parser.add_argument('--rounds', type=int, default=5,
                        help='rounds of each measurement (median)')
    parser.add_argument('--data-root', help='generated data to reuse')
    parser.add_argument('--out', help='also write the figures to this JSON')
    parser.add_argument('--skip-float64', action='store_true',
                        help='do not measure float64 (it is slow)')
    parser.add_argument('--skip-amp', action='store_true',
                        help='do not measure bfloat16 mixed precision')
    return parser.parse_args(argv)


def generate_data(cfg: Config, data_root: str, num_videos: int) -> None:
    """Write a synthetic dataset of the config's kind, unless present."""
    dataset_type = cfg.train_dataloader.dataset.type
    if dataset_type == 'AVEDataset':
        if not osp.isfile(osp.join(data_root, 'audio_feature.h5')):
            generate_synthetic_ave(data_root, num_videos=num_videos, seed=0)
    elif dataset_type == 'VGGSoundAVELDataset':
        if not osp.isdir(data_root):
            generate_synthetic_vggsound_avel(
                data_root, num_videos=num_videos, seed=0, layout='hdf5')
    elif dataset_type == 'LLPDataset':
        if not osp.isfile(osp.join(data_root, 'AVVP_train.csv')):
            generate_synthetic_llp(data_root, num_videos=num_videos, seed=0)
    else:
        raise SystemExit(f'no generator for {dataset_type}')


def prepare_config(args: argparse.Namespace, data_root: str,
                   work_dir: str) -> Config:
    cfg = Config.fromfile(args.config)
    for loader in LOADERS:
        cfg[loader].dataset.data_root = data_root
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


def median_rate(measure: Callable[[], float], rounds: int) -> float:
    """Median of ``rounds`` calls of ``measure`` (each returns a rate)."""
    return statistics.median(measure() for _ in range(rounds))


def timed(function: Callable[[], None], count: int) -> float:
    """``count`` divided by the seconds ``function`` took."""
    start = time.perf_counter()
    function()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return count / (time.perf_counter() - start)


def take_batches(cfg: Config, count: int) -> list:
    """The first ``count`` batches of the config's training loader."""
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batches = []
    while len(batches) < count:
        for batch in loader:
            batches.append(batch)
            if len(batches) == count:
                break
    return batches


def build_model(cfg: Config, precision: str, device: str):
    model_cfg = cfg.model.copy()
    model_cfg.precision = precision
    torch.manual_seed(0)
    return MODELS.build(model_cfg).to(device)


def model_step_rate(cfg: Config, batches: list, precision: str,
                    device: str, args, amp: bool = False) -> float:
    """Videos/s of ``model.train_step`` on batches already in memory."""
    model = build_model(cfg, precision, device)
    if amp:  # this machine's wrapper, as tools/train.py --amp sets it
        cfg = cfg.copy()
        enable_mixed_precision(cfg)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper.copy())
    model.train()
    videos = sum(len(batch['data_samples']) for batch in batches)

    def run() -> None:
        for batch in batches:
            model.train_step(batch, optim_wrapper)

    run()  # warm-up
    return median_rate(lambda: timed(run, videos), args.rounds)


def plain_loop_rate(cfg: Config, batches: list, device: str, args) -> float:
    """Videos/s of a plain PyTorch loop of the same network (float32).

    The inputs are stacked and on the device beforehand; each step is the
    model's loss, ``backward``, ``clip_grad_norm_`` and ``Adam.step``.
    """
    model = build_model(cfg, 'float32', device)
    model.train()
    prepared = [model.data_preprocessor(batch, True) for batch in batches]
    optimizer = torch.optim.Adam(
        model.parameters(), lr=cfg.optim_wrapper.optimizer.lr)
    max_norm = cfg.optim_wrapper.get('clip_grad', {}).get('max_norm')
    videos = sum(len(data['data_samples']) for data in prepared)

    def run() -> None:
        for data in prepared:
            losses = model(**data, mode='loss')
            loss = sum(value for value in losses.values())
            optimizer.zero_grad()
            loss.backward()
            if max_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            optimizer.step()

    run()
    return median_rate(lambda: timed(run, videos), args.rounds)


class EpochTimer(Hook):
    """Times the training iterations of each epoch (before the
    checkpoint and validation hooks of its end run)."""

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self.seconds: List[float] = []
        self.videos: List[int] = []

    def before_train_epoch(self, runner) -> None:
        self._start = time.perf_counter()
        self._videos = 0

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._videos += len(data_batch['data_samples'])

    def after_train_epoch(self, runner) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.seconds.append(time.perf_counter() - self._start)
        self.videos.append(self._videos)


def runner_rate(cfg: Config, args, work_dir: str, amp: bool = False
                ) -> float:
    """Videos/s of the runner's training loop, epochs 2 and later."""
    cfg = cfg.copy()
    cfg.work_dir = work_dir
    cfg.train_cfg.max_epochs = args.epochs
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(
        type='SafeCheckpointHook', interval=10**9, save_last=False)
    cfg.default_hooks.logger.interval = 10**9
    cfg.log_level = 'WARNING'
    if amp:
        enable_mixed_precision(cfg)
    timer = EpochTimer()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(timer)
    runner.train()
    rates = [videos / seconds
             for videos, seconds in zip(timer.videos[1:], timer.seconds[1:])]
    return statistics.median(rates)


def inference_rates(cfg: Config, batches: list, device: str,
                    args, amp: bool = False) -> Dict[str, float]:
    """Videos/s at the batch size of the batches, and ms at batch 1
    (``amp``: under the autocast of ``inference_localizer(amp=True)``)."""
    model = build_model(cfg, 'float32', device)
    model.eval()
    videos = sum(len(batch['data_samples']) for batch in batches)

    def run() -> None:
        with torch.no_grad(), inference_autocast(device, amp):
            for batch in batches:
                model.test_step(batch)

    run()
    throughput = median_rate(lambda: timed(run, videos), args.rounds)
    single = dict(
        inputs={
            name: value[:1]
            for name, value in batches[0]['inputs'].items()
        },
        data_samples=batches[0]['data_samples'][:1])
    latencies = []
    with torch.no_grad(), inference_autocast(device, amp):
        model.test_step(single)
        for _ in range(20):
            latencies.append(1000 / timed(lambda: model.test_step(single), 1))
    return dict(throughput=throughput, latency_ms=statistics.median(latencies))


def loader_rate(loader_cfg: dict, args) -> float:
    """Videos/s of a full pass of a loader, after one warm-up pass."""
    loader = Runner.build_dataloader(loader_cfg, seed=0)

    def run() -> int:
        return sum(len(batch['data_samples']) for batch in loader)

    run()
    videos = len(loader.dataset)
    return median_rate(lambda: timed(run, videos), args.rounds)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as file:
            for line in file:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    text = (f'{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, '
            f'{torch.get_num_threads()} threads')
    if torch.cuda.is_available():
        text += f', {torch.cuda.get_device_name()}'
    return text


def measure(args: argparse.Namespace, data_root: str, work_dir: str
            ) -> Dict[str, object]:
    cfg = prepare_config(args, data_root, work_dir)
    init_default_scope(cfg.get('default_scope', 'mmcpsp'))
    batches = take_batches(cfg, args.iters)
    results: Dict[str, object] = dict(
        config=args.config, machine=machine(),
        batch_size=cfg.train_dataloader.batch_size)
    cpu = dict()
    cpu['model_step_float32'] = model_step_rate(cfg, batches, 'float32',
                                                'cpu', args)
    if not args.skip_float64:
        cpu['model_step_float64'] = model_step_rate(cfg, batches, 'float64',
                                                    'cpu', args)
    cpu['plain_loop_float32'] = plain_loop_rate(cfg, batches, 'cpu', args)
    cpu['runner_float32'] = runner_rate(cfg, args,
                                        osp.join(work_dir, 'runner_cpu'))
    cpu.update({f'inference_{key}': value for key, value in
                inference_rates(cfg, batches, 'cpu', args).items()})
    if cpu_supports_bfloat16() and not args.skip_amp:
        # bfloat16 autocast (tools/train.py --amp), side by side.
        cpu['model_step_amp'] = model_step_rate(cfg, batches, 'float32',
                                                'cpu', args, amp=True)
        cpu['runner_amp'] = runner_rate(cfg, args,
                                        osp.join(work_dir, 'runner_amp'),
                                        amp=True)
        cpu.update({f'inference_amp_{key}': value for key, value in
                    inference_rates(cfg, batches, 'cpu', args,
                                    amp=True).items()})
    cpu['loader_config'] = loader_rate(cfg.train_dataloader, args)
    streaming = cfg.train_dataloader.copy()
    streaming.dataset = dict(streaming.dataset, preload=None)
    streaming.update(num_workers=2, persistent_workers=True)
    cpu['loader_streaming_2_workers'] = loader_rate(streaming, args)
    results['cpu'] = cpu
    if torch.cuda.is_available():
        results['cuda'] = measure_cuda(cfg, args, work_dir)
    return results


def measure_cuda(cfg: Config, args, work_dir: str) -> Dict[str, float]:
    """The GPU rows: device store, model step, runner with and without
    the store and AMP, inference."""
    device_cfg = cfg.copy()
    for loader in LOADERS:
        device_cfg[loader].dataset.preload = 'cuda'
    batches = take_batches(device_cfg, args.iters)
    gpu = dict(
        model_step_float32=model_step_rate(device_cfg, batches, 'float32',
                                           'cuda', args),
        model_step_amp=model_step_rate(device_cfg, batches, 'float32',
                                       'cuda', args, amp=True),
        plain_loop_float32=plain_loop_rate(device_cfg, batches, 'cuda',
                                           args),
        runner_device_store=runner_rate(device_cfg, args,
                                        osp.join(work_dir, 'gpu_store')),
        runner_device_store_amp=runner_rate(
            device_cfg, args, osp.join(work_dir, 'gpu_amp'), amp=True),
        runner_ram_store=runner_rate(cfg, args,
                                     osp.join(work_dir, 'gpu_ram')))
    gpu.update({f'inference_{key}': value for key, value in
                inference_rates(device_cfg, batches, 'cuda', args).items()})
    gpu['peak_gpu_memory_mib'] = torch.cuda.max_memory_allocated() / 2**20
    return gpu


def report(results: Dict[str, object]) -> str:
    """The figures as a table, with the ratios of the same run."""
    lines = [f'config: {results["config"]}', f'machine: {results["machine"]}',
             f'batch size: {results["batch_size"]}', '']
    for device in ('cpu', 'cuda'):
        rows = results.get(device)
        if not rows:
            continue
        lines.append(f'| {device} | videos/s (or ms) |')
        lines.append('|---|---|')
        for key, value in rows.items():
            unit = (' ms' if key.endswith('_ms') else
                    ' MiB' if key.endswith('_mib') else '')
            lines.append(f'| {key} | {value:,.1f}{unit} |')
        step = rows.get('model_step_float32')
        ratios = []
        for key in ('runner_float32', 'runner_device_store'):
            if key in rows:
                ratios.append(f'runner / model step: {rows[key] / step:.3f}')
        if 'plain_loop_float32' in rows:
            ratios.append('model step / plain PyTorch loop: '
                          f'{step / rows["plain_loop_float32"]:.3f}')
        for amp, base in (('runner_amp', 'runner_float32'),
                          ('model_step_amp', 'model_step_float32'),
                          ('inference_amp_throughput',
                           'inference_throughput')):
            if amp in rows:
                ratios.append(f'{amp} / {base}: {rows[amp] / rows[base]:.2f}')
        if 'model_step_float64' in rows:
            ratios.append('float32 / float64 model step: '
                          f'{step / rows["model_step_float64"]:.2f}')
        lines += ['', *ratios, '']
    memory = results['memory_mib']
    lines.append(
        f'memory of the process tree (PSS, with shared memory counted '
        f'once): {memory["start"]:,.0f} MiB at the start, peak '
        f'{memory["peak"]:,.0f} MiB, peak RSS sum {memory["peak_rss"]:,.0f} '
        'MiB')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='mmcpsp-benchmark-') as tmp:
        data_root = args.data_root or osp.join(tmp, 'data')
        cfg = Config.fromfile(args.config)
        generate_data(cfg, data_root, args.num_videos)
        start = tree_memory_kib(os.getpid())
        sampler = TreeSampler(0.25)
        sampler.start()
        try:
            results = measure(args, data_root, osp.join(tmp, 'work'))
        finally:
            samples = sampler.stop()
        results['memory_mib'] = dict(
            start=start['Total'] / 1024,
            peak=max(sample['Total'] for sample in samples) / 1024,
            peak_rss=max(sample['Rss'] for sample in samples) / 1024)
    print(report(results))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as file:
            json.dump(results, file, indent=2)
    return results


if __name__ == '__main__':
    main()
