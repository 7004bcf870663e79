"""The annotation files of LLP (AVVP) as released: weak and dense labels.

All six files are tab-separated text with one header line (avvp.md
section 2.1): the split files ``filename, event_labels`` (comma-separated
class names), the dense files ``filename, onset, offset, event_labels``
(one class a row, integer seconds). A video's id, which names its feature
files, is ``filename[:11]``: ids may start with '-' or hold '_', so a
filename is never split on '_'.

The release's quirks are kept as the evaluation of the authors' code reads
them (section 2.5): a dense row with onset >= offset adds nothing, rows of
videos of no split are never looked up, a class repeated in a weak label
counts once, a val/test video may have rows in one dense file only. Bad
input raises :class:`DataValidationError` naming the file and the row, or
goes to ``on_problem`` so that ``tools/data/llp/verify.py`` lists every
problem.
"""
import hashlib
import re
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np

from ..constants import NUM_SEGMENTS
from ..errors import DataValidationError, ProblemHandler, report_problem
from .classes import LLP_CLASSES

TRAIN_FILE = 'AVVP_train.csv'
VAL_FILE = 'AVVP_val_pd.csv'
TEST_FILE = 'AVVP_test_pd.csv'
FULL_FILE = 'AVVP_dataset_full.csv'
AUDIO_EVAL_FILE = 'AVVP_eval_audio.csv'
VISUAL_EVAL_FILE = 'AVVP_eval_visual.csv'
#: The weak-label file of each split.
SPLIT_FILES = dict(train=TRAIN_FILE, val=VAL_FILE, test=TEST_FILE)

WEAK_COLUMNS = ('filename', 'event_labels')
DENSE_COLUMNS = ('filename', 'onset', 'offset', 'event_labels')
#: Length of a YouTube id: the first characters of every filename.
ID_LENGTH = 11
NUM_CLASSES = len(LLP_CLASSES)
CLASS_INDEX = {name: index for index, name in enumerate(LLP_CLASSES)}

_SECONDS = re.compile('[0-9]+')


def video_id_of(filename: str) -> str:
    """The YouTube id of a filename (``'-4ZsUVbRG4E_0_10'`` ->
    ``'-4ZsUVbRG4E'``), which names the video's feature files."""
    return filename[:ID_LENGTH]


def where(index: int, line: int) -> str:
    """A data row and its line (the header is line 1), for messages."""
    return f'{index} (line {line})'


def _read_rows(path: str, columns: Sequence[str], on_problem: ProblemHandler
               ) -> Tuple[List[Tuple[int, int, List[str]]], str]:
    """The data rows of a tab-separated file with a header, and its SHA-256.

    Returns:
        tuple: ``[(row index, line number, fields)]`` of the rows with
        ``len(columns)`` fields (blank lines skipped, as pandas skips
        them), and the file's SHA-256.
    """
    layout = '\\t'.join(columns)
    try:
        with open(path, 'rb') as file:
            content = file.read()
    except FileNotFoundError:
        raise DataValidationError(
            path, f'a tab-separated file with the header {layout}',
            'no such file') from None
    except OSError as error:
        raise DataValidationError(path, 'a readable file',
                                  str(error)) from None
    try:
        lines = content.decode('utf-8-sig').splitlines()
    except UnicodeDecodeError as error:
        raise DataValidationError(path, 'UTF-8 text',
                                  f'undecodable bytes ({error})') from None
    if not lines or lines[0].split('\t') != list(columns):
        raise DataValidationError(path, f'the header line {layout}',
                                  repr(lines[0] if lines else ''),
                                  row='header (line 1)')
    rows = []
    for line_number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        index = len(rows)
        fields = line.split('\t')
        if len(fields) != len(columns):
            report_problem(
                DataValidationError(
                    path, f'{len(columns)} tab-separated fields ({layout})',
                    f'{len(fields)}: {line!r}',
                    row=where(index, line_number)), on_problem)
            continue
        rows.append((index, line_number, fields))
    return rows, hashlib.sha256(content).hexdigest()


def _unknown_class(path: str, name: str, row: str) -> DataValidationError:
    return DataValidationError(
        path, f'class names among the {NUM_CLASSES} of LLP',
        f'unknown class {name!r}', key='event_labels', row=row)


@dataclass(frozen=True)
class WeakLabels:
    """A split file (or the full file): the videos and their weak labels.

    Attributes:
        path (str): The file.
        filenames (tuple[str]): The filename column, in file order.
        classes (tuple[tuple[int]]): Sorted class indices per video (a
            class named twice counts once).
        lines (tuple[int]): The line of each video (the header is line 1).
        rows (tuple[int]): The data row of each video (blank lines and the
            header not counted).
    """
    path: str
    filenames: Tuple[str, ...]
    classes: Tuple[Tuple[int, ...], ...]
    lines: Tuple[int, ...]
    rows: Tuple[int, ...]

    @property
    def num_videos(self) -> int:
        return len(self.filenames)

    def where(self, video: int) -> str:
        """The row and line of the ``video``-th video, for messages."""
        return where(self.rows[video], self.lines[video])

    def labels(self) -> np.ndarray:
        """float32 [N, 25]: 1 for every class of each video's weak label."""
        labels = np.zeros((self.num_videos, NUM_CLASSES), np.float32)
        for row, classes in enumerate(self.classes):
            labels[row, list(classes)] = 1
        return labels


def parse_weak_labels(path: str,
                      on_problem: ProblemHandler = None) -> WeakLabels:
    """Parse a split file or the full file (``filename, event_labels``).

    Args:
        path (str): The file.
        on_problem (callable, optional): Receives each bad row instead of
            raising it; bad rows are left out. Defaults to None.

    Raises:
        DataValidationError: The file is missing or its header is not
            ``filename, event_labels``; or (without ``on_problem``) a row
            has another number of fields, an empty filename, a video id
            (``filename[:11]``) of an earlier row, or an unknown class.
    """
    rows, _ = _read_rows(path, WEAK_COLUMNS, on_problem)
    seen: Dict[str, int] = {}
    filenames, classes, lines, indices = [], [], [], []
    for index, line, (filename, event_labels) in rows:
        row = where(index, line)
        video_id = video_id_of(filename)
        problem = None
        names = event_labels.split(',')
        unknown = [name for name in names if name not in CLASS_INDEX]
        if not filename:
            problem = DataValidationError(path, 'a filename', 'an empty '
                                          'field', key='filename', row=row)
        elif video_id in seen:
            problem = DataValidationError(
                path, 'a video id (the first 11 characters of the filename) '
                'no earlier row has', f'{video_id!r}, already on line '
                f'{seen[video_id]}', key='filename', row=row)
        elif unknown:
            problem = _unknown_class(path, unknown[0], row)
        if problem is not None:
            report_problem(problem, on_problem)
            continue
        seen[video_id] = line
        filenames.append(filename)
        classes.append(tuple(sorted({CLASS_INDEX[name] for name in names})))
        lines.append(line)
        indices.append(index)
    return WeakLabels(path, tuple(filenames), tuple(classes), tuple(lines),
                      tuple(indices))


class DenseEvent(NamedTuple):
    """One row of a dense file: ``class_index`` over segments
    ``onset .. offset - 1`` (none when ``onset >= offset``)."""
    line: int
    filename: str
    onset: int
    offset: int
    class_index: int


@dataclass(frozen=True)
class DenseAnnotations:
    """A dense file (``AVVP_eval_audio.csv`` or ``AVVP_eval_visual.csv``).

    Attributes:
        path (str): The file.
        events (tuple[DenseEvent]): Its rows, in file order.
        sha256 (str): The file's SHA-256 (tells the releases apart).
    """
    path: str
    events: Tuple[DenseEvent, ...]
    sha256: str

    def by_filename(self) -> Dict[str, List[DenseEvent]]:
        """The events of each filename the file names, in file order."""
        grouped: Dict[str, List[DenseEvent]] = {}
        for event in self.events:
            grouped.setdefault(event.filename, []).append(event)
        return grouped

    def ground_truth(self, filenames: Sequence[str]) -> np.ndarray:
        """The dense labels of videos, exactly as the evaluation builds them.

        For every row whose filename equals the video's filename exactly,
        ``GT[onset:offset, class] = 1`` (Python slicing: nothing when
        onset >= offset); a video without rows is all zeros.

        Args:
            filenames (Sequence[str]): The videos (the filename column of
                a split file).

        Returns:
            np.ndarray: uint8 [N, T, 25], segment-major (the transpose of
            the evaluation's [25, T] per video).
        """
        grouped = self.by_filename()
        truth = np.zeros((len(filenames), NUM_SEGMENTS, NUM_CLASSES),
                         np.uint8)
        for row, filename in enumerate(filenames):
            for event in grouped.get(filename, ()):
                truth[row, event.onset:event.offset, event.class_index] = 1
        return truth

    def empty_events(self) -> List[DenseEvent]:
        """The rows with onset >= offset, which add nothing."""
        return [event for event in self.events
                if event.onset >= event.offset]

    def orphan_events(self, filenames: Sequence[str]) -> List[DenseEvent]:
        """The rows naming none of ``filenames`` (e.g. the full file's),
        which the evaluation never looks up."""
        known = set(filenames)
        return [event for event in self.events
                if event.filename not in known]

    def covered(self, filenames: Sequence[str]) -> int:
        """How many of ``filenames`` have at least one row."""
        named = {event.filename for event in self.events}
        return sum(filename in named for filename in filenames)


def parse_dense_annotations(path: str, on_problem: ProblemHandler = None
                            ) -> DenseAnnotations:
    """Parse a dense file (``filename, onset, offset, event_labels``).

    Args:
        path (str): The file.
        on_problem (callable, optional): Receives each bad row instead of
            raising it; bad rows are left out. Defaults to None.

    Raises:
        DataValidationError: The file is missing or its header is not
            ``filename, onset, offset, event_labels``; or (without
            ``on_problem``) a row has another number of fields, an empty
            filename, an onset or offset that is not an integer number of
            seconds from 0 to 10, or a name that is not one LLP class.
            Onset >= offset and filenames of no split are the release's
            quirks and are accepted.
    """
    rows, sha256 = _read_rows(path, DENSE_COLUMNS, on_problem)
    events = []
    for index, line, (filename, onset, offset, name) in rows:
        row = where(index, line)
        problem = None
        if not filename:
            problem = DataValidationError(path, 'a filename', 'an empty '
                                          'field', key='filename', row=row)
        elif not all(_SECONDS.fullmatch(text) and int(text) <= NUM_SEGMENTS
                     for text in (onset, offset)):
            problem = DataValidationError(
                path, f'integer seconds from 0 to {NUM_SEGMENTS} in onset '
                'and offset', f'onset {onset!r}, offset {offset!r}', row=row)
        elif name not in CLASS_INDEX:
            problem = _unknown_class(path, name, row)
        if problem is not None:
            report_problem(problem, on_problem)
            continue
        events.append(
            DenseEvent(line, filename, int(onset), int(offset),
                       CLASS_INDEX[name]))
    return DenseAnnotations(path, tuple(events), sha256)

