"""Check an LLP folder and list every problem found.

The six annotation files are parsed as LLPDataset parses them (every bad
row is listed, not only the first), the three splits are checked against
AVVP_dataset_full.csv (disjoint, together the full list, the same weak
labels), and every feature file of every video is read: present, shape
[10, 128] / [80, 2048] / [10, 512], a floating dtype and finite values.
Notes say which release of AVVP_eval_audio.csv the folder holds and count
the release's quirks, which are not problems (they are kept as the
evaluation reads them).

Exit status: 0 when no problem was found, 1 otherwise.

Example::

    python tools/data/llp/verify.py data/llp
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp.datasets.errors import DataValidationError  # noqa: E402
from mmcpsp.datasets.llp import annotations as ann  # noqa: E402
from mmcpsp.datasets.llp.audio_release import (  # noqa: E402
    describe_audio_release,
)
from mmcpsp.datasets.llp.files import (  # noqa: E402
    FEATURE_DIRS,
    FEATURE_KINDS,
    check_present,
    feature_paths,
    load_features,
)
from mmcpsp.utils import Progress  # noqa: E402


class Report:
    """What passed, notes, and every problem, in the order found."""

    def __init__(self) -> None:
        self.passed: List[str] = []
        self.notes: List[str] = []
        self.problems: List[DataValidationError] = []

    def parse(self, parse, path: str):
        """``parse(path, on_problem)``, every problem recorded; None when
        the file cannot be read at all."""
        before = len(self.problems)
        try:
            result = parse(path, on_problem=self.problems.append)
        except DataValidationError as error:
            self.problems.append(error)
            return None
        if len(self.problems) == before:
            self.passed.append(osp.basename(path))
        return result


def _check_splits(report: Report, splits: Dict[str, ann.WeakLabels],
                  full: ann.WeakLabels) -> None:
    """The splits: disjoint, together the full file, the same labels."""
    split_of: Dict[str, str] = {}
    labels: Dict[str, tuple] = {}
    for split, weak in splits.items():
        for video, filename in enumerate(weak.filenames):
            if filename in split_of:
                report.problems.append(DataValidationError(
                    weak.path, 'videos of no other split', f'{filename!r}, '
                    f'also in the {split_of[filename]} split',
                    row=weak.where(video)))
                continue
            split_of[filename] = split
            labels[filename] = weak.classes[video]
    for video, filename in enumerate(full.filenames):
        if filename not in labels:
            report.problems.append(DataValidationError(
                full.path, 'a video of one of the three split files',
                f'{filename!r} in none', row=full.where(video)))
        elif labels[filename] != full.classes[video]:
            report.problems.append(DataValidationError(
                full.path, f'the weak label of the {split_of[filename]} '
                'split file', f'another one for {filename!r}',
                row=full.where(video)))
    in_full = set(full.filenames)
    for weak in splits.values():
        for video, filename in enumerate(weak.filenames):
            if filename not in in_full:
                report.problems.append(DataValidationError(
                    weak.path, f'a video of {osp.basename(full.path)}',
                    f'{filename!r}, missing there', row=weak.where(video)))


def _note_dense(report: Report, dense: ann.DenseAnnotations, kind: str,
                splits: Dict[str, ann.WeakLabels],
                every_video: List[str]) -> None:
    coverage = ', '.join(
        f'{dense.covered(splits[split].filenames):,} of '
        f'{splits[split].num_videos:,} {split} videos'
        for split in ('val', 'test') if split in splits)
    report.notes.append(
        f'{osp.basename(dense.path)}: {len(dense.events):,} {kind} rows '
        f'for {coverage}; {len(dense.empty_events())} with onset >= offset '
        f'(add nothing), {len(dense.orphan_events(every_video))} of videos '
        'of no split (ignored, as the evaluation does)')
    if 'train' in splits and dense.covered(splits['train'].filenames):
        report.notes.append(
            f'{osp.basename(dense.path)}: rows of '
            f'{dense.covered(splits["train"].filenames)} train videos '
            '(training reads weak labels only)')


def _check_features(report: Report, data_root: str,
                    filenames: List[str]) -> None:
    folders = {kind: osp.join(data_root, FEATURE_DIRS[kind])
               for kind in FEATURE_KINDS}
    present = {}
    for kind, folder in folders.items():
        try:
            present[kind] = set(check_present(
                folder, filenames, 'the split files',
                on_problem=report.problems.append))
        except DataValidationError as error:  # no folder
            report.problems.append(error)
            present[kind] = set()
    before = len(report.problems)
    with Progress(len(filenames), f'Reading the feature files of '
                  f'{data_root}', 'videos') as progress:
        for filename in filenames:
            for kind, path in feature_paths(folders, filename).items():
                if filename not in present[kind]:
                    continue
                try:
                    load_features(path, kind)
                except DataValidationError as error:
                    report.problems.append(error)
            progress.update()
    if len(report.problems) == before and all(
            len(found) == len(filenames) for found in present.values()):
        report.passed.append(
            f'feature files of all {len(filenames):,} videos: present, of '
            'the right shape, floating, finite')


def verify(data_root: str) -> Report:
    """Check every file of an LLP folder.

    Args:
        data_root (str): The folder.

    Returns:
        Report: What passed, notes, and every problem.
    """
    report = Report()
    splits = {}
    for split, name in ann.SPLIT_FILES.items():
        weak = report.parse(ann.parse_weak_labels, osp.join(data_root, name))
        if weak is not None:
            splits[split] = weak
            report.notes.append(f'{name}: {weak.num_videos:,} videos')
    full = report.parse(ann.parse_weak_labels,
                        osp.join(data_root, ann.FULL_FILE))
    if full is not None and len(splits) == len(ann.SPLIT_FILES):
        before = len(report.problems)
        _check_splits(report, splits, full)
        if len(report.problems) == before:
            report.passed.append('splits disjoint, together '
                                 f'{ann.FULL_FILE} with its weak labels')
    every_video = list(dict.fromkeys(
        full.filenames if full is not None else
        [name for weak in splits.values() for name in weak.filenames]))
    for name, kind in ((ann.AUDIO_EVAL_FILE, 'audio'),
                       (ann.VISUAL_EVAL_FILE, 'visual')):
        dense = report.parse(ann.parse_dense_annotations,
                             osp.join(data_root, name))
        if dense is None:
            continue
        _note_dense(report, dense, kind, splits, every_video)
        if kind == 'audio':
            report.notes.append(describe_audio_release(dense))
    split_videos = list(dict.fromkeys(
        name for weak in splits.values() for name in weak.filenames))
    _check_features(report, data_root, split_videos)
    return report


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check an LLP folder and list every problem.')
    parser.add_argument('data_root', help='the LLP folder, e.g. data/llp')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    # Said first: reading every feature file (8 GB for the release) takes
    # a while, with its progress on stderr.
    print(f'LLP folder {args.data_root}', flush=True)
    report = verify(args.data_root)
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
