"""Check an AVE folder and report every problem found.

Every file is checked independently with the validation functions that
AVEDataset runs (mmcpsp/datasets/ave_files.py): keys, shapes, dtypes,
one-hot label rows, the categories of Annotations.txt (AVE's 28, matching
the label files row by row), order files (in
range, disjoint, together covering every row) and, unlike the dataset,
the values of every feature file including the 7.7 GiB visual features,
streamed in bounded blocks. Optional files (labels_closs.h5,
prob_label.h5, the noisy trio) are checked when present.

Exit status: 0 when the folder is usable for the chosen supervision, 1
otherwise.

Example::

    python tools/data/ave/verify.py data/ave --supervision weakly
"""
import argparse
import os
import sys
from typing import Any, Callable, List, Optional

from mmcpsp.datasets.ave import files
from mmcpsp.datasets.ave.annotations import (
    ANNOTATION_FILE,
    AVE_CATEGORIES,
    parse_annotations,
)
from mmcpsp.datasets.constants import SPLITS
from mmcpsp.datasets.errors import DataValidationError
from mmcpsp.datasets.h5_utils import DEFAULT_BLOCK_BYTES


class Report:
    """Runs checks, keeping going after a failure."""

    def __init__(self) -> None:
        self.passed: List[str] = []
        self.problems: List[DataValidationError] = []
        self.notes: List[str] = []

    def run(self, name: str, check: Callable, *args,
            describe: Optional[Callable[[Any], str]] = None,
            **kwargs) -> Any:
        """Run ``check``; record ``name`` (and ``describe(result)``) when it
        passes, the error when it fails. Returns the result or None."""
        try:
            result = check(*args, **kwargs)
        except DataValidationError as exc:
            self.problems.append(exc)
            return None
        detail = f': {describe(result)}' if describe else ''
        self.passed.append(f'{name}{detail}')
        return result


def verify(data_root: str,
           supervision: str = 'fully',
           max_bytes: int = DEFAULT_BLOCK_BYTES) -> Report:
    """Check every file of an AVE folder.

    Args:
        data_root (str): The folder.
        supervision (str): ``'fully'`` or ``'weakly'``; mil_labels.h5 is
            required for ``'weakly'`` only.
        max_bytes (int): Memory bound of the streaming passes.

    Returns:
        Report: What passed, every problem, and notes.
    """
    report = Report()

    def path(name: str) -> str:
        return os.path.join(data_root, name)

    annotations = report.run(
        ANNOTATION_FILE,
        parse_annotations,
        path(ANNOTATION_FILE),
        AVE_CATEGORIES,
        describe=lambda ann: f'{ann.num_rows} videos, {ann.num_classes} '
        f'categories{", header line" if ann.header_lines else ""}')
    num_rows = annotations.num_rows if annotations else None

    orders = {}
    for split in SPLITS:
        name = files.order_file(split)
        order = report.run(
            name,
            files.read_order,
            path(name),
            num_rows,
            describe=lambda order: f'{len(order)} videos')
        if order is not None:
            orders[split] = (path(name), order)
    if len(orders) == len(SPLITS):
        report.run('splits disjoint', files.check_orders_disjoint, orders)
        if num_rows is not None:
            report.run('splits cover all rows', files.check_orders_cover,
                       orders, num_rows)

    def feature_check(name: str, row_shape, rows: Optional[int],
                      rows_note: str = files.ROWS_NOTE) -> None:
        report.run(
            name,
            files.check_feature_file,
            path(name),
            row_shape,
            rows,
            check_values=True,
            rows_note=rows_note,
            max_bytes=max_bytes,
            show_progress=True,
            describe=lambda found: f'{found[0]} {found[1]}, all finite')

    feature_check(files.AUDIO_FILE, files.AUDIO_ROW_SHAPE, num_rows)
    feature_check(files.VISUAL_FILE, files.VISUAL_ROW_SHAPE, num_rows)

    segment_files = [
        name for name in files.SEGMENT_LABEL_FILES
        if os.path.exists(path(name))
    ]
    for name in segment_files:
        report.run(name, files.read_segment_labels, path(name), annotations,
                   describe=lambda labels: f'{labels.shape[0]} videos, '
                   'one-hot segments matching the annotations')
    if not segment_files:
        report.notes.append(
            f'no {" or ".join(files.SEGMENT_LABEL_FILES)}: segment labels '
            f'are built from {ANNOTATION_FILE}')

    if supervision == 'weakly' or os.path.exists(
            path(files.VIDEO_LABEL_FILE)):
        report.run(files.VIDEO_LABEL_FILE, files.read_video_labels,
                   path(files.VIDEO_LABEL_FILE), annotations,
                   describe=lambda labels: f'{len(labels)} videos, '
                   'one-hot, matching the annotations')
    for name, check in ((files.EVENT_MASK_FILE, files.check_event_mask),
                        (files.PROB_LABEL_FILE, files.check_prob_labels)):
        if os.path.exists(path(name)):
            report.run(name, check, path(name), annotations)

    if any(os.path.exists(path(name)) for name in files.NOISY_FILES):
        num_classes = annotations.num_classes if annotations else None
        num_noisy = report.run(
            files.NOISY_LABEL_FILE,
            files.read_noisy_labels,
            path(files.NOISY_LABEL_FILE),
            num_classes,
            describe=lambda count: f'{count} background-only videos')
        rows_note = f'one per video of {path(files.NOISY_LABEL_FILE)}'
        feature_check(files.NOISY_AUDIO_FILE, files.AUDIO_ROW_SHAPE,
                      num_noisy, rows_note)
        feature_check(files.NOISY_VISUAL_FILE, files.VISUAL_ROW_SHAPE,
                      num_noisy, rows_note)
    else:
        report.notes.append('no noisy videos (optional, for use_noisy=True)')
    return report


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check an AVE folder and report every problem.')
    parser.add_argument('data_root', help='the AVE folder, e.g. data/ave')
    parser.add_argument(
        '--supervision',
        choices=['fully', 'weakly'],
        default='fully',
        help='the setting to check for (weakly requires mil_labels.h5)')
    parser.add_argument(
        '--block-mib',
        type=int,
        default=DEFAULT_BLOCK_BYTES >> 20,
        help='memory bound of the streaming value checks, in MiB')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    # Said first: the value checks read every feature file (7.7 GB of
    # visual features for the release), with their progress on stderr.
    print(f'AVE folder {args.data_root} ({args.supervision} supervision)',
          flush=True)
    report = verify(args.data_root, args.supervision, args.block_mib << 20)
    for line in report.passed:
        print(f'  ok       {line}')
    for line in report.notes:
        print(f'  note     {line}')
    if report.problems:
        print(f'{len(report.problems)} problem(s):')
        for problem in report.problems:
            print(f'  PROBLEM  {problem}')
        return 1
    print('no problems found')
    return 0


if __name__ == '__main__':
    sys.exit(main())
