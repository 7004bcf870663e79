"""The files of VGGSound-AVEL100k (and its 50k subset) as distributed.

Layout of a data root (names as in the authors' code, jasongief/CPSP)::

    vggsound-avel100k.csv            columns video_id, category, split
    VggsoundAVEL100kCategories.txt   one class name a line, 141 lines
    audio_features/<video_id>.zip    one pickled array [t, 128], t ~ 10
    visual_features/<video_id>.zip   one pickled array [10, 1024, 7, 7]
    labels/<video_id>.zip            one pickled binary event mask [10]
                                     or [1, 10]

The authors' loader leaves the three feature folders as placeholders; the
names above are mmcpsp's defaults and every name can be configured.

Every check raises :class:`DataValidationError`; the readers take an
optional ``on_problem`` callback that receives each error and lets reading
go on, so ``tools/data/vggsound_avel/verify.py`` can list every problem.
"""
import csv
import os
from typing import Dict, List, NamedTuple, Optional, Set

import numpy as np

from ..constants import NUM_SEGMENTS, SPLITS
from ..errors import DataValidationError, ProblemHandler, report_problem
from ..validation import check_finite

AUDIO_DIM = 128
VISUAL_CHANNELS = 1024
VISUAL_SIZE = 7
#: Event classes of VGGSound-AVEL100k and -50k; background is this index.
NUM_CLASSES = 141
META_COLUMNS = ('video_id', 'category', 'split')

DEFAULT_META_FILE = 'vggsound-avel100k.csv'
DEFAULT_CATEGORIES_FILE = 'VggsoundAVEL100kCategories.txt'
#: Folder of the per-video zips of each kind, relative to the data root.
DEFAULT_ZIP_DIRS = dict(
    audio='audio_features', visual='visual_features', label='labels')
ZIP_KINDS = tuple(DEFAULT_ZIP_DIRS)


class MetaRow(NamedTuple):
    """One video of the meta CSV; ``line`` counts the header as line 1."""
    line: int
    video_id: str
    class_index: int
    split: str


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding='utf-8-sig', newline='') as file:
            return file.read()
    except FileNotFoundError:
        raise DataValidationError(
            path, expected=f'the {what}', found='no such file') from None
    except UnicodeDecodeError as error:
        raise DataValidationError(
            path, expected='UTF-8 text',
            found=f'undecodable bytes ({error})') from None
    except OSError as error:
        raise DataValidationError(
            path, expected=f'a readable {what}', found=str(error)) from None


def read_categories(path: str,
                    expected_num: Optional[int] = NUM_CLASSES,
                    on_problem: ProblemHandler = None) -> List[str]:
    """Read the categories file: one class name a line, line order = index.

    Args:
        path (str): The categories file.
        expected_num (int, optional): Number of names required; None accepts
            any non-zero number. Defaults to 141.
        on_problem (callable, optional): Receives each problem instead of
            raising it. Defaults to None.

    Returns:
        list[str]: Class names, stripped of surrounding white space.
    """
    lines = _read_text(path, 'categories file').splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    names: List[str] = []
    seen: Dict[str, int] = {}
    for line_number, line in enumerate(lines, start=1):
        name = line.strip()
        if not name:
            report_problem(
                DataValidationError(
                    path, row=line_number, expected='a class name',
                    found='an empty line'), on_problem)
        elif name in seen:
            report_problem(
                DataValidationError(
                    path, row=line_number, expected='a name not listed before',
                    found=f'{name!r}, already on line {seen[name]}'),
                on_problem)
        else:
            seen[name] = line_number
        names.append(name)
    if not names or (expected_num is not None and len(names) != expected_num):
        report_problem(
            DataValidationError(
                path, expected=f'{expected_num or "at least one"} class '
                'names, one a line', found=f'{len(names)} lines'), on_problem)
    return names


def read_meta_csv(path: str,
                  class_names: Optional[List[str]],
                  on_problem: ProblemHandler = None) -> List[MetaRow]:
    """Read and check the meta CSV (columns video_id, category, split).

    Other columns are ignored. Rows are checked for an empty or repeated
    video id, a category missing from ``class_names`` and a split other than
    train, val or test.

    Args:
        path (str): The meta CSV.
        class_names (list[str], optional): The categories, in class-index
            order; None skips the category check (class index -1), for
            listing the other problems when the categories file is bad.
        on_problem (callable, optional): Receives each problem instead of
            raising it; bad rows are then left out. Defaults to None.

    Returns:
        list[MetaRow]: The videos in file order.
    """
    text = _read_text(path, 'meta CSV')
    reader = csv.reader(text.splitlines())
    header = [column.strip() for column in next(reader, [])]
    missing = [column for column in META_COLUMNS if column not in header]
    if missing:
        raise DataValidationError(
            path, row=1, expected=f'a header with columns {META_COLUMNS}',
            found=f'{header} (missing {missing})')
    columns = [header.index(column) for column in META_COLUMNS]
    class_index = {
        name: index
        for index, name in enumerate(class_names or [])
    }
    seen: Dict[str, int] = {}
    rows: List[MetaRow] = []
    for line_number, fields in enumerate(reader, start=2):
        if not fields:
            continue
        if len(fields) < len(header):
            report_problem(
                DataValidationError(
                    path, row=line_number,
                    expected=f'{len(header)} fields', found=len(fields)),
                on_problem)
            continue
        video_id, category, split = (fields[i].strip() for i in columns)
        problem = None
        if not video_id:
            problem = DataValidationError(
                path, key='video_id', row=line_number,
                expected='a video id', found='an empty field')
        elif video_id in seen:
            problem = DataValidationError(
                path, key='video_id', row=line_number,
                expected='each video listed once',
                found=f'{video_id!r}, already on line {seen[video_id]}')
        elif class_names is not None and category not in class_index:
            problem = DataValidationError(
                path, key='category', row=line_number,
                expected=f'one of the {len(class_names)} names of the '
                'categories file', found=f'unknown category {category!r}')
        elif split not in SPLITS:
            problem = DataValidationError(
                path, key='split', row=line_number,
                expected=f'one of {", ".join(SPLITS)}', found=repr(split))
        if problem is not None:
            report_problem(problem, on_problem)
            continue
        seen[video_id] = line_number
        rows.append(
            MetaRow(line_number, video_id, class_index.get(category, -1),
                    split))
    return rows


def list_zip_names(directory: str) -> Set[str]:
    """Names of the ``.zip`` files in ``directory``, from one listing.

    One ``os.scandir`` replaces a stat call per video, which matters at
    100k videos on network file systems.
    """
    try:
        with os.scandir(directory) as entries:
            return {
                entry.name
                for entry in entries if entry.name.endswith('.zip')
            }
    except FileNotFoundError:
        raise DataValidationError(
            directory, expected='a folder of <video_id>.zip files',
            found='no such folder') from None
    except NotADirectoryError:
        raise DataValidationError(
            directory, expected='a folder of <video_id>.zip files',
            found='a file') from None


def check_missing_zips(directory: str, video_ids: List[str],
                       on_problem: ProblemHandler = None) -> None:
    """Check that ``<video_id>.zip`` exists in ``directory`` for each id."""
    present = list_zip_names(directory)
    missing = [vid for vid in video_ids if f'{vid}.zip' not in present]
    if missing:
        shown = ', '.join(f'{vid}.zip' for vid in missing[:5])
        more = f' and {len(missing) - 5} more' if len(missing) > 5 else ''
        report_problem(
            DataValidationError(
                os.path.join(directory, f'{missing[0]}.zip'),
                expected=f'one zip per video ({len(video_ids)} videos)',
                found=f'{len(missing)} missing: {shown}{more}'), on_problem)


def _check_float(array: np.ndarray, path: str) -> None:
    if not np.issubdtype(array.dtype, np.floating):
        raise DataValidationError(
            path, expected='a floating-point array', found=array.dtype)


def fit_audio(array: np.ndarray, path: str) -> np.ndarray:
    """Check audio features [t, 128] and pad or truncate them to [10, 128].

    Short clips repeat their last segment, as the authors' loader does.
    """
    _check_float(array, path)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] != AUDIO_DIM:
        raise DataValidationError(
            path, expected=f'shape [t, {AUDIO_DIM}] with t >= 1',
            found=list(array.shape))
    check_finite(array, path)
    if array.shape[0] < NUM_SEGMENTS:
        padding = np.repeat(array[-1:], NUM_SEGMENTS - array.shape[0], 0)
        array = np.concatenate([array, padding], axis=0)
    return array[:NUM_SEGMENTS]


def to_channels_last(array: np.ndarray, path: str) -> np.ndarray:
    """Check visual maps [10, 1024, 7, 7]; return a [10, 7, 7, 1024] view."""
    _check_float(array, path)
    expected = (NUM_SEGMENTS, VISUAL_CHANNELS, VISUAL_SIZE, VISUAL_SIZE)
    if array.shape != expected:
        raise DataValidationError(
            path, expected=f'shape {list(expected)} (channels first)',
            found=list(array.shape))
    check_finite(array, path)
    return array.transpose(0, 2, 3, 1)


def to_event_mask(array: np.ndarray,
                  path: str,
                  key: Optional[str] = None,
                  row: Optional[object] = None) -> np.ndarray:
    """Check a binary event mask [10] or [1, 10]; return it as uint8 [10]."""
    if array.shape not in ((NUM_SEGMENTS, ), (1, NUM_SEGMENTS)):
        raise DataValidationError(
            path, key=key, row=row,
            expected=f'shape [{NUM_SEGMENTS}] or [1, {NUM_SEGMENTS}]',
            found=list(array.shape))
    if not (np.issubdtype(array.dtype, np.number)
            or array.dtype == np.bool_):
        raise DataValidationError(
            path, key=key, row=row, expected='a numeric or boolean array',
            found=array.dtype)
    mask = array.reshape(NUM_SEGMENTS)
    binary = (mask == 0) | (mask == 1)
    if not binary.all():
        segment = int(np.argmin(binary))
        raise DataValidationError(
            path, key=key, row=row, expected='a binary mask (0 or 1)',
            found=f'{mask[segment]} in segment {segment}')
    return mask.astype(np.uint8)

