"""Train a config with several seeds; report test accuracy mean and std.

Accuracy on AVE moves by about a point between seeds, so a single run says
little. For each seed this trains with ``tools/train.py --seed``, tests the
checkpoint with the best validation accuracy with ``tools/test.py`` and
prints one row per run and the mean and (sample) standard deviation.

Example::

    python tools/analysis_tools/multi_seed.py configs/cpsp_fully_ave.py \\
        --seeds 123 124 125 --work-dir work_dirs/cpsp_seeds
"""
import argparse
import glob
import json
import os.path as osp
import statistics
import subprocess
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METRIC = 'avel/segment_acc'
sys.path.insert(0, ROOT)
from mmcpsp.utils import Progress  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[123, 124, 125],
        help='one training run per seed')
    parser.add_argument(
        '--work-dir', required=True, help='runs go to WORK_DIR/seed_<s>')
    parser.add_argument(
        '--metric', default=METRIC, help='metric to report and select on')
    parser.add_argument(
        '--amp', action='store_true',
        help='train and test in mixed precision (train.py/test.py --amp)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='passed to both train.py and test.py')
    return parser.parse_args(argv)


def best_checkpoint(run_dir: str, metric: str) -> str:
    """The checkpoint the best-checkpoint hook kept for ``metric``."""
    pattern = osp.join(run_dir, f"best_{metric.replace('/', '_')}_*.pth")
    found = sorted(glob.glob(pattern))
    if len(found) != 1:
        raise RuntimeError(f'expected one checkpoint matching {pattern}, '
                           f'found {len(found)}')
    return found[0]


def run(command: List[str]) -> None:
    print('+', ' '.join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def summarise(accuracies: List[float]) -> str:
    mean = statistics.fmean(accuracies)
    std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    return f'mean {mean:.2f} std {std:.2f} over {len(accuracies)} seeds'


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg_options = ['--cfg-options', *args.cfg_options] \
        if args.cfg_options else []
    if args.amp:
        cfg_options = ['--amp', *cfg_options]
    rows = []
    # Training prints its own log: progress is one status line per seed.
    progress = Progress(len(args.seeds), 'Seeds', 'runs', enabled=False)
    for seed in args.seeds:
        run_dir = osp.abspath(osp.join(args.work_dir, f'seed_{seed}'))
        run([
            sys.executable, 'tools/train.py', args.config, '--seed',
            str(seed), '--work-dir', run_dir, *cfg_options
        ])
        checkpoint = best_checkpoint(run_dir, args.metric)
        metrics_file = osp.join(run_dir, 'test_metrics.json')
        run([
            sys.executable, 'tools/test.py', args.config, checkpoint,
            '--work-dir', run_dir, '--metrics-out', metrics_file,
            *cfg_options
        ])
        with open(metrics_file) as f:
            rows.append((seed, osp.basename(checkpoint),
                         float(json.load(f)[args.metric])))
        progress.update()
        print(f'seed {seed}: {args.metric} {rows[-1][2]:.2f} '
              f'({progress.status()})', flush=True)
    progress.close()
    print(f'\n{"seed":>6}  {args.metric:>18}  checkpoint')
    for seed, checkpoint, accuracy in rows:
        print(f'{seed:>6}  {accuracy:>18.2f}  {checkpoint}')
    print(f'{args.metric}: {summarise([row[2] for row in rows])}')


if __name__ == '__main__':
    main()
