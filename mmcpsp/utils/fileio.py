"""Atomic file writes that honour the umask: the one helper for results."""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import IO, Iterator


def current_umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Give a temporary path that becomes ``path`` when the block succeeds.

    The temporary file lies in the folder of ``path`` (so the final rename
    is atomic), is hidden (``.name.XXXX.tmp``), gets the mode a plain
    ``open`` would give (``0o666`` less the umask), is flushed to disk, and
    is renamed over ``path`` only if the block ends without an exception.
    On any exception (a full disk, a file-size limit, a signal turned into
    an exception) it is removed and ``path`` is left as it was.

    Args:
        path (str): The file to write.

    Yields:
        str: The temporary path to write to (it exists, empty).
    """
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=directory, prefix='.' + osp.basename(path) + '.', suffix='.tmp')
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        os.close(fd)
        yield tmp_path
        with open(tmp_path, 'rb') as written:
            os.fsync(written.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if osp.lexists(tmp_path):
            os.remove(tmp_path)
        raise


@contextmanager
def atomic_write(path: str, mode: str = 'wb', **kwargs) -> Iterator[IO]:
    """Open a file object whose content replaces ``path`` atomically.

    See :func:`atomic_path`. ``mode`` must write (``'w'`` or ``'wb'``);
    ``kwargs`` go to ``open`` (e.g. ``encoding``).
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    with atomic_path(path) as tmp_path:
        with open(tmp_path, mode, **kwargs) as file:
            yield file
