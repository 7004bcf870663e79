"""Plot training curves and time training from mmengine's json logs.

Reads ``vis_data/scalars.json`` (one json record per line) as mmengine
0.10 writes it: training records carry ``iter`` (and ``epoch`` when
training by epoch), validation records only ``step`` (the epoch, or the
iteration for iteration-based training). A LOG argument is such a file, or
a work dir whose ``*/vis_data/scalars.json`` files (one per start of a
resumed run) are read in time order.

Examples::

    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/cpsp_fully_ave --keys loss avel/segment_acc \\
        --out work_dirs/cpsp_fully_ave/curves.png
    python tools/analysis_tools/analyze_logs.py plot_curve RUN_A RUN_B \\
        --keys avel/segment_acc --legend float32 float64 --out acc.png
    python tools/analysis_tools/analyze_logs.py cal_train_time RUN_A
"""
import argparse
import glob
import json
import os.path as osp
import statistics
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from mmcpsp.visualization import save_figure  # noqa: E402

SCALARS = osp.join('vis_data', 'scalars.json')


@dataclass
class RunLog:
    """The records of one training run.

    Attributes:
        name (str): Name of the run (its work dir or file).
        train (dict[int, dict]): Training records by iteration.
        val (dict[int, dict]): Validation records by step.
    """
    name: str
    train: Dict[int, dict] = field(default_factory=dict)
    val: Dict[int, dict] = field(default_factory=dict)

    @property
    def by_epoch(self) -> bool:
        """Whether the run trained by epoch (its val step is an epoch)."""
        return any('epoch' in record for record in self.train.values())

    def val_iteration(self, step: int) -> int:
        """The training iteration at which validation ``step`` ran."""
        if not self.by_epoch:
            return step
        iters = [it for it, record in self.train.items()
                 if record.get('epoch') == step]
        return max(iters) if iters else step

    def keys(self) -> List[str]:
        """Every scalar logged by the run."""
        names = set()
        for records in (self.train, self.val):
            for record in records.values():
                names.update(record)
        return sorted(names - {'step', 'iter', 'epoch'})

    def curve(self, key: str) -> Tuple[List[int], List[float], str]:
        """Iterations and values of ``key``, and its phase.

        Raises:
            KeyError: If the run never logged ``key``.
        """
        train = [(it, r[key]) for it, r in sorted(self.train.items())
                 if key in r]
        if train:
            return [x for x, _ in train], [y for _, y in train], 'train'
        val = [(self.val_iteration(step), r[key])
               for step, r in sorted(self.val.items()) if key in r]
        if val:
            return [x for x, _ in val], [y for _, y in val], 'val'
        raise KeyError(f'{self.name} has no "{key}"; it logged: '
                       f'{", ".join(self.keys())}')


def scalar_files(path: str) -> List[str]:
    """The scalars files of a LOG argument, oldest first."""
    if osp.isfile(path):
        return [path]
    if osp.isdir(path):
        found = sorted(glob.glob(osp.join(path, '*', SCALARS)))
        if osp.isfile(osp.join(path, SCALARS)):
            found.append(osp.join(path, SCALARS))
        if found:
            return found
        raise FileNotFoundError(f'No */{SCALARS} under {path}')
    raise FileNotFoundError(f'No such log file or work dir: {path}')


def load_run(path: str, name: Optional[str] = None) -> RunLog:
    """Read a run; a later record of the same step replaces an earlier one
    (a run resumed from a checkpoint repeats the steps after it)."""
    if name is None:
        parts = osp.normpath(osp.abspath(path)).split(osp.sep)
        # .../<work_dir>/<timestamp>/vis_data/scalars.json names work_dir.
        name = parts[-4] if parts[-2:] == SCALARS.split(osp.sep) else \
            parts[-1]
    run = RunLog(name)
    for scalars in scalar_files(path):
        with open(scalars) as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(
                        f'{scalars}, line {number}: not a json record '
                        f'({error})') from None
                if 'iter' in record:
                    run.train[int(record['iter'])] = record
                elif 'step' in record:
                    run.val[int(record['step'])] = record
    if not run.train and not run.val:
        raise ValueError(f'{path} holds no training or validation record')
    return run


def plot_curve(runs: Sequence[RunLog], keys: Sequence[str],
               title: Optional[str] = None) -> Figure:
    """One panel per key, one curve per run, against the iteration."""
    figure = Figure(figsize=(8, 0.6 + 2.4 * len(keys)), layout='constrained')
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(keys), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        for index, run in enumerate(runs):
            iterations, values, phase = run.curve(key)
            ax.plot(iterations, values, color=f'C{index}', label=run.name,
                    marker='o' if phase == 'val' else None,
                    markersize=4, linewidth=1.2)
        ax.set_ylabel(key)
        ax.grid(color='#dddddd', linewidth=0.5)
    axes[-1].set_xlabel('iteration')
    axes[0].legend(fontsize=8)
    if title:
        figure.suptitle(title)
    return figure


def train_time(run: RunLog, include_outliers: bool = False) -> dict:
    """Seconds per iteration: mean over the run and per epoch.

    The first logged record of each epoch is left out unless
    ``include_outliers``: it includes the start-up of the data workers.
    """
    per_epoch: Dict[int, List[float]] = {}
    for iteration, record in sorted(run.train.items()):
        if 'time' in record:
            per_epoch.setdefault(record.get('epoch', 0), []).append(
                record['time'])
    if not per_epoch:
        raise ValueError(f'{run.name} logged no training time')
    if not include_outliers:
        per_epoch = {epoch: times[1:] or times
                     for epoch, times in per_epoch.items()}
    epoch_means = {epoch: statistics.fmean(times)
                   for epoch, times in per_epoch.items()}
    all_times = [t for times in per_epoch.values() for t in times]
    return dict(
        mean=statistics.fmean(all_times),
        epoch_means=epoch_means,
        std_over_epochs=statistics.pstdev(epoch_means.values()))


def print_train_time(run: RunLog, include_outliers: bool) -> None:
    stats = train_time(run, include_outliers)
    print(f'-----Analyze train time of {run.name}-----')
    if run.by_epoch:
        epochs = stats['epoch_means']
        slowest = max(epochs, key=epochs.get)
        fastest = min(epochs, key=epochs.get)
        print(f'slowest epoch {slowest}, average time is '
              f'{epochs[slowest]:.4f} s/iter')
        print(f'fastest epoch {fastest}, average time is '
              f'{epochs[fastest]:.4f} s/iter')
        print(f'time std over epochs is {stats["std_over_epochs"]:.4f}')
    print(f'average iter time: {stats["mean"]:.4f} s/iter')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Analyze the json logs (vis_data/scalars.json) of runs')
    commands = parser.add_subparsers(dest='command', required=True)
    plot = commands.add_parser('plot_curve', help='plot curves of keys')
    plot.add_argument('logs', nargs='+',
                      help='scalars.json files or work dirs, one per run')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='scalars to plot, one panel each')
    plot.add_argument('--legend', nargs='+',
                      help='a name per run (default: the work dir names)')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--out', required=True, help='the PNG to write')
    timing = commands.add_parser('cal_train_time',
                                 help='time per iteration of runs')
    timing.add_argument('logs', nargs='+',
                        help='scalars.json files or work dirs, one per run')
    timing.add_argument('--include-outliers', action='store_true',
                        help='count the first record of every epoch')
    args = parser.parse_args(argv)
    if getattr(args, 'legend', None) and len(args.legend) != len(args.logs):
        parser.error(f'--legend needs one name per log: {len(args.logs)} '
                     f'logs, {len(args.legend)} names')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        names = getattr(args, 'legend', None) or [None] * len(args.logs)
        runs = [load_run(path, name) for path, name in zip(args.logs, names)]
        if args.command == 'cal_train_time':
            for run in runs:
                print_train_time(run, args.include_outliers)
            return
        save_figure(plot_curve(runs, args.keys, args.title), args.out)
    except (OSError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        raise SystemExit(f'analyze_logs: {message}') from None
    for run in runs:
        for key in args.keys:
            iterations, values, phase = run.curve(key)
            print(f'{run.name}: {key} ({phase}) {len(values)} points, last '
                  f'{values[-1]:.4f} at iteration {iterations[-1]}')
    print(f'Wrote {args.out}')


if __name__ == '__main__':
    main()
