"""Load the pickled numpy arrays of VGGSound-AVEL100k without running code.

The dataset ships every feature as a pickle inside a zip. ``pickle.load``
calls whatever global a pickle names, so a crafted file could run any
command. :class:`SafeArrayUnpickler` resolves only the globals that numpy's
own array pickles reference (for every pickle protocol, written by numpy 1.x
or 2.x, from Python 2 or 3) and refuses everything else with a
:class:`DataValidationError` naming the file and the refused global.
"""
import codecs
import importlib
import io
import pickle
import zipfile
import zlib
from typing import Callable, Dict, Tuple

import numpy as np

from ..errors import DataValidationError

#: Suffix of the pickle member inside each distributed zip.
PICKLE_SUFFIX = '.pkl'

# numpy 2 moved numpy.core to numpy._core; pickles written by numpy 1.x name
# the old module, those written by numpy 2.x the new one. Both are mapped to
# whichever module the installed numpy provides.
_NUMPY_CORE_MODULES = ('numpy.core', 'numpy._core')
_ALLOWED_CORE_GLOBALS = (
    ('multiarray', '_reconstruct'),  # ndarray.__reduce__, protocols 0-4
    ('multiarray', 'scalar'),  # numpy scalars, e.g. a pickled np.float32
    ('numeric', '_frombuffer'),  # ndarray.__reduce_ex__, protocol 5
)


def _core_attribute(submodule: str, name: str) -> Callable:
    for package in ('numpy._core', 'numpy.core'):
        try:
            module = importlib.import_module(f'{package}.{submodule}')
        except ImportError:
            continue
        if hasattr(module, name):
            return getattr(module, name)
    raise ImportError(f'numpy provides no {submodule}.{name}')


def _allowed_globals() -> Dict[Tuple[str, str], Callable]:
    allowed: Dict[Tuple[str, str], Callable] = {
        ('numpy', 'ndarray'): np.ndarray,
        ('numpy', 'dtype'): np.dtype,
        # Protocols 0-2 written by Python 3 store bytes as
        # _codecs.encode(text, 'latin1'); it only encodes a string.
        ('_codecs', 'encode'): codecs.encode,
    }
    for submodule, name in _ALLOWED_CORE_GLOBALS:
        target = _core_attribute(submodule, name)
        for core in _NUMPY_CORE_MODULES:
            allowed[(f'{core}.{submodule}', name)] = target
    return allowed


_ALLOWED_GLOBALS = _allowed_globals()


class SafeArrayUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and nothing else.

    Args:
        file: A binary file object holding the pickle.
        source (str): The file named in error messages, e.g.
            ``'data/audio_features/abc.zip:abc.pkl'``.
    """

    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        # latin1 lets arrays pickled by Python 2 (whose raw bytes are a str)
        # load unchanged, as numpy.load does for them.
        super().__init__(file, encoding='latin1')
        self.source = source

    def find_class(self, module: str, name: str) -> Callable:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise DataValidationError(
                self.source,
                expected='a pickled numpy array (only numpy array '
                'reconstruction is allowed)',
                found=f'a reference to the global {module}.{name}, which '
                'was refused and not called') from None

    def persistent_load(self, pid: object) -> None:
        raise DataValidationError(
            self.source,
            expected='a pickled numpy array',
            found=f'a persistent id {pid!r}, which was refused')


def safe_load_array(data: bytes, source: str) -> np.ndarray:
    """Unpickle a numpy array from ``data`` with :class:`SafeArrayUnpickler`.

    Args:
        data (bytes): The pickle.
        source (str): The file named in error messages.

    Returns:
        np.ndarray: The array. Its shape and dtype are not checked here.

    Raises:
        DataValidationError: The pickle names a refused global, is truncated
            or corrupt, or holds something other than a numpy array.
    """
    try:
        loaded = SafeArrayUnpickler(io.BytesIO(data), source).load()
    except DataValidationError:
        raise
    except Exception as error:  # any failure means a damaged pickle
        raise DataValidationError(
            source,
            expected='a complete pickled numpy array',
            found=f'an unreadable pickle ({type(error).__name__}: {error})'
        ) from None
    if not isinstance(loaded, np.ndarray):
        raise DataValidationError(
            source,
            expected='a pickled numpy array',
            found=f'a pickled {type(loaded).__name__}')
    return loaded


def load_zipped_array(zip_path: str) -> np.ndarray:
    """Read the one ``*.pkl`` member of a distributed zip as a numpy array.

    Args:
        zip_path (str): Path of ``<video_id>.zip``.

    Returns:
        np.ndarray: The unpickled array, shape and dtype unchecked.

    Raises:
        DataValidationError: The zip is missing, truncated or corrupt, holds
            no or several ``.pkl`` members, or its pickle is refused.
    """
    try:
        with zipfile.ZipFile(zip_path, mode='r') as archive:
            members = [
                name for name in archive.namelist()
                if name.endswith(PICKLE_SUFFIX)
            ]
            if len(members) != 1:
                raise DataValidationError(
                    zip_path,
                    expected=f'exactly one {PICKLE_SUFFIX} member',
                    found=f'{len(members)} ({", ".join(members) or "none"})')
            data = archive.read(members[0])
    except DataValidationError:
        raise
    except FileNotFoundError:
        raise DataValidationError(
            zip_path, expected='an existing zip file',
            found='no such file') from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError,
            NotImplementedError, ValueError) as error:
        raise DataValidationError(
            zip_path,
            expected='a complete, readable zip file',
            found=f'a truncated or corrupt zip ({type(error).__name__}: '
            f'{error})') from None
    return safe_load_array(data, f'{zip_path}:{members[0]}')
