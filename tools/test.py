"""Test a checkpoint of mmcpsp (or any MMAction2 model) on the test split."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.fileio import dump

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmcpsp.engine import (  # noqa: E402
    build_runner,
    enable_mixed_precision_inference,
    enable_visualization,
    run_safely,
)
from mmcpsp.utils import atomic_write  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--dump',
        type=str,
        help='dump the per-video predictions to a pickle file')
    parser.add_argument(
        '--metrics-out',
        type=str,
        help='also write the test metrics to this JSON file')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load the checkpoint even if it needs types beyond those of '
        'runner checkpoints: its pickle may run code, so only for files you '
        'trust')
    parser.add_argument(
        '--show-dir',
        help='write the timeline figure of every test video to this dir')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='with --show-dir, draw one test video in this many')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='test in mixed precision: bfloat16 autocast on a CPU with '
        'bfloat16 kernels, the GPU\'s autocast dtype on a GPU (one line '
        'where neither is available); the default is float32')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command-line arguments into the config."""
    # First: options address the config as written (test_evaluator.X=...),
    # before --dump turns test_evaluator into a list.
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('--dump: the file must end with .pkl or .pickle')
        dump_metric = dict(type='AtomicDumpResults', out_file_path=args.dump)
        if isinstance(cfg.test_evaluator, (list, tuple)):
            cfg.test_evaluator = [*cfg.test_evaluator, dump_metric]
        else:
            cfg.test_evaluator = [cfg.test_evaluator, dump_metric]
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.trust_checkpoint:
        cfg.trust_checkpoint = True
    if args.show_dir is not None:
        enable_visualization(cfg, args.show_dir, args.interval)
    return cfg


def main() -> None:
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)

    def test() -> dict:
        if args.amp:
            enable_mixed_precision_inference(cfg)
        return build_runner(cfg).test()

    metrics = run_safely(
        test,
        trust_checkpoint=cfg.get('trust_checkpoint', False))
    if args.metrics_out is not None and is_main_process():
        with atomic_write(args.metrics_out, 'w') as file:
            dump(metrics, file, file_format='json')


if __name__ == '__main__':
    main()
