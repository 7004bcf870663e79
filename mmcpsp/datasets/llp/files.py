"""The feature files of LLP as released: names, shapes, checks, reading.

One ``.npy`` per video and kind, named ``filename[:11] + '.npy'``, in three
folders of the release's ``feats`` (avvp.md section 2.3):

=========  ======================  ============  ==========================
kind       default folder          shape         content
=========  ======================  ============  ==========================
audio      ``feats/vggish``        [10, 128]     VGGish, one per second
visual     ``feats/res152``        [80, 2048]    ResNet-152, 8 frames/second
visual_st  ``feats/r2plus1d_18``   [10, 512]     R(2+1)D-18, one per second
=========  ======================  ============  ==========================

Files are read without pickle. The cheap checks (presence from one
directory listing per folder, shape and dtype from the ``.npy`` header)
run before training; values are checked when a file is read, and for
every file by ``tools/data/llp/verify.py``.
"""
import os
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

import numpy as np

from mmcpsp.utils import Progress

from ..constants import NUM_SEGMENTS
from ..errors import DataValidationError, ProblemHandler, report_problem
from ..validation import check_finite
from .annotations import video_id_of

#: Frames of ``feats/res152`` per one-second segment: frames 8t .. 8t + 7
#: belong to segment t.
FRAMES_PER_SEGMENT = 8
#: Folder of each kind, relative to the data root.
FEATURE_DIRS = dict(
    audio='feats/vggish', visual='feats/res152',
    visual_st='feats/r2plus1d_18')
#: Shape of one file of each kind.
FEATURE_SHAPES = dict(
    audio=(NUM_SEGMENTS, 128),
    visual=(NUM_SEGMENTS * FRAMES_PER_SEGMENT, 2048),
    visual_st=(NUM_SEGMENTS, 512))
FEATURE_KINDS = tuple(FEATURE_DIRS)


def feature_file(filename: str) -> str:
    """The name of a video's feature files: ``filename[:11] + '.npy'``."""
    return f'{video_id_of(filename)}.npy'


def list_npy_names(folder: str) -> Set[str]:
    """Names of the ``.npy`` files in ``folder``, from one listing (no
    stat call per video)."""
    try:
        with os.scandir(folder) as entries:
            return {entry.name for entry in entries
                    if entry.name.endswith('.npy')}
    except FileNotFoundError:
        raise DataValidationError(
            folder, 'a folder of <filename[:11]>.npy feature files',
            'no such folder') from None
    except NotADirectoryError:
        raise DataValidationError(
            folder, 'a folder of <filename[:11]>.npy feature files',
            'a file') from None


def check_present(folder: str, filenames: Sequence[str], what: str,
                  on_problem: ProblemHandler = None) -> List[str]:
    """Check that every video has its file in ``folder``.

    Args:
        folder (str): A feature folder.
        filenames (Sequence[str]): The videos (filename column).
        what (str): The videos, for the message (e.g. ``'the test
            split'``).
        on_problem (callable, optional): Receives the problem instead of
            raising it. Defaults to None.

    Returns:
        list[str]: The filenames whose file is present.
    """
    names = list_npy_names(folder)
    present = [name for name in filenames if feature_file(name) in names]
    if len(present) < len(filenames):
        missing = [feature_file(name) for name in filenames
                   if feature_file(name) not in names]
        shown = ', '.join(missing[:5])
        more = f' and {len(missing) - 5} more' if len(missing) > 5 else ''
        report_problem(
            DataValidationError(
                os.path.join(folder, missing[0]),
                f'one .npy per video of {what} ({len(filenames):,} videos)',
                f'{len(missing):,} missing: {shown}{more}'), on_problem)
    return present


def read_header(path: str) -> Tuple[Tuple[int, ...], np.dtype]:
    """Shape and dtype of a ``.npy`` file, from its header only."""
    try:
        with open(path, 'rb') as file:
            version = np.lib.format.read_magic(file)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(file)
    except (OSError, ValueError) as error:
        raise DataValidationError(path, 'a .npy file', str(error)) from None
    return tuple(shape), dtype


def _check_layout(path: str, kind: str, shape: Tuple[int, ...],
                  dtype: np.dtype) -> None:
    expected = FEATURE_SHAPES[kind]
    if shape != expected:
        raise DataValidationError(
            path, f'{kind} features of shape {list(expected)}',
            f'shape {list(shape)}')
    if dtype.kind != 'f':
        raise DataValidationError(path, 'floating-point features',
                                  f'dtype {dtype}')


def check_header(path: str, kind: str) -> np.dtype:
    """Check the shape and dtype of one file from its header.

    Returns:
        np.dtype: The file's dtype.
    """
    shape, dtype = read_header(path)
    _check_layout(path, kind, shape, dtype)
    return dtype


def load_features(path: str, kind: str,
                  dtype: Optional[np.dtype] = None) -> np.ndarray:
    """Read one file (no pickle) and check its shape, dtype and values.

    Args:
        path (str): The file.
        kind (str): ``'audio'``, ``'visual'`` or ``'visual_st'``.
        dtype (np.dtype, optional): Cast to this floating dtype, checked
            for finite values after the cast (which may overflow a narrower
            dtype). Defaults to None (the file's dtype).

    Returns:
        np.ndarray: The features, of the shape of :data:`FEATURE_SHAPES`.
    """
    try:
        features = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataValidationError(path, 'a .npy array without pickled '
                                  'objects', str(error)) from None
    _check_layout(path, kind, features.shape, features.dtype)
    if dtype is not None and features.dtype != dtype:
        with np.errstate(over='ignore'):
            features = features.astype(dtype)
    check_finite(features, path,
                 expected=f'finite values (as {features.dtype})')
    return features


def feature_paths(folders: Mapping[str, str],
                  filename: str) -> Dict[str, str]:
    """The three files of one video: kind -> path."""
    return {kind: os.path.join(folder, feature_file(filename))
            for kind, folder in folders.items()}


def check_feature_headers(folders: Mapping[str, str],
                          filenames: Sequence[str], what: str) -> None:
    """The checks run before training: every file of every video present
    (one listing per folder), of the right shape and a floating dtype
    (read from the headers, not the data).

    Args:
        folders (Mapping[str, str]): Kind -> feature folder.
        filenames (Sequence[str]): The videos (filename column).
        what (str): The videos, for messages (e.g. ``'the val split of
            data/llp'``).

    Raises:
        DataValidationError: At the first missing or bad file, naming it.
    """
    for folder in folders.values():
        check_present(folder, filenames, what)
    with Progress(len(filenames), f'Checking the feature files of {what}',
                  'videos') as progress:
        for filename in filenames:
            for kind, path in feature_paths(folders, filename).items():
                check_header(path, kind)
            progress.update()
