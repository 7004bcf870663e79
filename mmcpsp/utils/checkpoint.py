"""Loading checkpoint files without running code from them.

A ``.pth`` file is a pickle, and a pickle can call any function while it is
read. Checkpoints are therefore read with ``torch.load(weights_only=True)``,
which builds tensors and plain containers only, plus the few types by name
that MMEngine's runner stores in its checkpoints. Anything else stops with a
:class:`CheckpointError` naming the file and the type it wanted, unless
checkpoints are trusted explicitly (:func:`trust_checkpoints`, the
``--trust-checkpoint`` flag of the tools, or ``trust_checkpoint = True`` in a
config).
"""
import _compat_pickle
import os.path as osp
import pickle
import re
import zipfile
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log

from .published_checkpoint import hash_in_name, sha256_of

TRUST_HINT = ('If you trust this file, load it with --trust-checkpoint '
              '(or trust_checkpoint=True in the config): its pickle may then '
              'run code.')

_trusted = False


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read or written as it should be."""


# Registered by every HistoryBuffer on creation; none may exist yet.
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_statistic(owner: Any, name: str) -> Callable:
    """Stands in for ``getattr`` while a checkpoint is unpickled.

    A :class:`~mmengine.logging.HistoryBuffer` pickles its statistics
    methods (``HistoryBuffer.min`` ...) as ``getattr(HistoryBuffer, 'min')``.
    A real ``getattr`` would reach any attribute of any object, and from
    there any function; this one gives those methods only.
    """
    statistics = {*_DEFAULT_STATISTICS, *HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in statistics:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({owner!r}, {name!r}) is not a HistoryBuffer statistic')


def _numpy_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """Numpy arrays, scalars and dtypes, under numpy 1.x and 2.x names."""
    multiarray = np._core.multiarray if hasattr(
        np, '_core') else np.core.multiarray
    allowed: List[Union[Callable, Tuple[Callable, str]]] = [
        np.ndarray, np.dtype
    ]
    # A dtype is rebuilt as ``np.dtype('f8')`` and then given its state,
    # which torch allows only for allowed types: numpy >= 1.20 makes each
    # dtype an instance of its own class (numpy.dtypes.Float64DType ...).
    # Booleans and fixed-size numbers only: no object or structured dtype.
    allowed += sorted({type(np.dtype(code)) for code in '?bhilqBHILQefdg'},
                      key=str)
    # A checkpoint written under numpy 1.x names numpy.core, under 2.x
    # numpy._core: both spellings mean the same two functions.
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed += [(multiarray._reconstruct, f'{module}._reconstruct'),
                    (multiarray.scalar, f'{module}.scalar')]
    return allowed


def runner_checkpoint_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """What MMEngine's runner puts in a checkpoint besides tensors.

    Found by saving mmcpsp checkpoints through the runner and listing their
    globals (``torch.serialization.get_unsafe_globals_in_checkpoint``): the
    message hub's ``HistoryBuffer`` objects with their statistics methods,
    and numpy arrays, dtypes and scalars (its logged values and the ETA).
    ``collections.Counter`` (a scheduler's milestones) and ``OrderedDict``
    are allowed by torch itself.
    """
    return [
        HistoryBuffer,
        (_history_buffer_statistic, 'builtins.getattr'),
        *_numpy_globals(),
    ]


def checkpoints_trusted() -> bool:
    """Whether checkpoints are currently loaded with code execution."""
    return _trusted


@contextmanager
def trust_checkpoints(enabled: bool = True) -> Iterator[None]:
    """Load checkpoints as plain pickles (code may run) inside the block.

    Args:
        enabled (bool): Trust them; False leaves the safe loader on.
            Defaults to True.
    """
    global _trusted
    previous, _trusted = _trusted, bool(enabled) or _trusted
    try:
        yield
    finally:
        _trusted = previous


_GLOBAL_NAME = re.compile(r'GLOBAL ([\w.]+)')
_REFUSALS = ('GLOBAL ', 'allowlisted', 'unrecognized function',
             'not a HistoryBuffer statistic')


def _detail(error: BaseException) -> str:
    """The line of a loading error that says what was wrong."""
    text = str(error)
    # torch wraps the unpickler's own message in paragraphs of advice.
    marker = 'WeightsUnpickler error:'
    if marker in text:
        text = text.split(marker, 1)[1].split('Check the documentation')[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if isinstance(error, pickle.UnpicklingError) and lines:
        return lines[0]
    return ': '.join([type(error).__name__, *lines[:1]])


def _python3_name(dotted: str) -> str:
    """``commands.call`` -> ``subprocess.call``: pickle protocol 2 writes
    Python 2 module names, which the message should not show."""
    module, _, name = dotted.rpartition('.')
    module, name = _compat_pickle.NAME_MAPPING.get((module, name),
                                                   (module, name))
    return f'{_compat_pickle.IMPORT_MAPPING.get(module, module)}.{name}'


def _refusal(filename: str, error: pickle.UnpicklingError) -> CheckpointError:
    found = _GLOBAL_NAME.search(str(error))
    wanted = _python3_name(found.group(1)) if found else _detail(error)
    return CheckpointError(
        f'{filename} was not loaded: it needs {wanted}, which is none of the '
        'types a runner checkpoint holds, and unpickling it could run code. '
        f'{TRUST_HINT}')


def _unreadable(filename: str, what: str) -> CheckpointError:
    return CheckpointError(
        f'{filename} is not a readable checkpoint (truncated or corrupt?): '
        f'{what}')


def _check_file(filename: str) -> None:
    """Find an empty, cut-short or changed file before unpickling it.

    torch saves a zip archive and reads it without checking the members'
    CRC-32, so changed bytes in a tensor would load silently, and a file
    cut short (a save that did not finish) gives a zip-reader message that
    does not say so. Files in torch's legacy (non-zip) format are left to
    the loader.
    """
    with open(filename, 'rb') as file:
        head = file.read(4)
    if not head:
        raise _unreadable(filename, 'the file is empty')
    if head != b'PK\x03\x04':
        return
    if not zipfile.is_zipfile(filename):
        raise _unreadable(
            filename, 'the zip archive has no central directory at its end: '
            'the file was cut short (a save or copy that did not finish?)')
    try:
        with zipfile.ZipFile(filename) as archive:
            bad_member = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise _unreadable(filename, _detail(error)) from None
    if bad_member is not None:
        raise _unreadable(
            filename, f'{bad_member} does not match its CRC-32 (the file '
            'changed after it was written)')


def check_hash(filename: str) -> None:
    """Stop with one line if a published file does not match its name.

    A published file is named ``NAME-XXXXXXXX.pth``, the first 8 hex digits
    of its SHA-256 (:mod:`mmcpsp.utils.published_checkpoint`); a name
    without them (``epoch_3.pth``) is not checked.

    Raises:
        CheckpointError: The file's SHA-256 does not start with the 8 hex
            digits of its name.
    """
    expected = hash_in_name(filename)
    if expected is None:
        return
    actual = sha256_of(filename)
    if not actual.startswith(expected):
        raise CheckpointError(
            f'{filename} does not match the hash in its name: its sha256 '
            f'starts with {actual[:8]}, not {expected} (changed or cut short '
            'by a download or a copy?); fetch or publish it again.')


def load_checkpoint_file(filename: str,
                         map_location: Optional[Any] = None) -> Any:
    """Load a local checkpoint file, safely unless trusted.

    Args:
        filename (str): The file (``~`` is expanded).
        map_location (Any, optional): As for :func:`torch.load`. Defaults to
            None.

    Returns:
        Any: The loaded object, usually a dict.

    Raises:
        CheckpointError: The file is missing, truncated or corrupt, does not
            match the hash in its name (:func:`check_hash`), or needs a type
            that is not allowed (and checkpoints are not trusted).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointError(f'{filename}: no such checkpoint file')
    check_hash(filename)
    _check_file(filename)
    if _trusted:
        print_log(f'Loading {filename} as a trusted checkpoint (its pickle '
                  'may run code).', logger='current')
    allowed = (nullcontext() if _trusted else
               torch.serialization.safe_globals(runner_checkpoint_globals()))
    try:
        with allowed:
            return torch.load(
                filename, map_location=map_location, weights_only=not _trusted)
    except pickle.UnpicklingError as error:
        if any(phrase in str(error) for phrase in _REFUSALS):
            raise _refusal(filename, error) from None
        raise _unreadable(filename, _detail(error)) from None
    except Exception as error:  # noqa: BLE001
        # Whatever a damaged file makes the unpickler raise (EOFError,
        # KeyError, RuntimeError from the zip reader ...).
        raise _unreadable(filename, _detail(error)) from None


#: What MMEngine's ``Runner.resume`` reads from a checkpoint besides the
#: weights (a published or converted file holds the weights alone).
RESUME_KEYS = ('meta', 'optimizer', 'message_hub')


def check_resumable(filename: str) -> None:
    """Stop with one line unless ``filename`` is a training checkpoint.

    Resuming restores the epoch and iteration (``meta``), the optimizer
    state and the message hub; a file without them (a state dict, a
    published or converted checkpoint) would otherwise end in MMEngine's
    ``KeyError: 'meta'`` after the datasets were built.

    Args:
        filename (str): A local checkpoint file.

    Raises:
        CheckpointError: The file cannot be read (see
            :func:`load_checkpoint_file`) or lacks what resuming needs.
    """
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    if not isinstance(checkpoint, dict):
        lacking = list(RESUME_KEYS)
    else:
        lacking = [key for key in RESUME_KEYS if key not in checkpoint]
        meta = checkpoint.get('meta')
        if isinstance(meta, dict):
            lacking[:0] = [f'meta[{key!r}]' for key in ('epoch', 'iter')
                           if key not in meta]
    if lacking:
        raise CheckpointError(
            f'cannot resume from {filename}: it is not a training checkpoint '
            f'(it lacks {", ".join(lacking)}). To start training from its '
            f'weights alone, use load_from={filename} without --resume '
            '(resume=False).')
