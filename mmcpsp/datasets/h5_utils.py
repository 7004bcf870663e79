"""Read-only HDF5 access that reports every problem as DataValidationError.

The helpers are generic (no dataset-specific names): open a file, fetch a
dataset by key, check its shape, dtype and values, read it in bounded
blocks, and read single rows fast. Files are only ever opened with mode
``'r'``, so a user's data can never be modified through them.
"""
import os
from typing import Iterator, Optional, Sequence, Tuple

import h5py
import numpy as np

from mmcpsp.utils import Progress

from .errors import DataValidationError

#: Upper bound of the memory one streaming pass holds at a time.
DEFAULT_BLOCK_BYTES = 64 * 1024 * 1024

ShapeSpec = Sequence[Optional[int]]


def open_h5(path: str) -> h5py.File:
    """Open an HDF5 file read-only.

    Args:
        path (str): The file.

    Returns:
        h5py.File: The open file.

    Raises:
        DataValidationError: When the file is missing, is not HDF5, or is
            truncated or otherwise unreadable.
    """
    if not os.path.isfile(path):
        found = 'a directory' if os.path.isdir(path) else 'no such file'
        raise DataValidationError(path, 'an HDF5 file', found)
    try:
        return h5py.File(path, 'r')
    except (OSError, ValueError) as exc:
        raise DataValidationError(
            path, 'a complete, readable HDF5 file',
            f'a file HDF5 cannot open ({_first_line(exc)}); it may be '
            'truncated or corrupt') from None


def get_dataset(h5_file: h5py.File, key: str, path: str) -> h5py.Dataset:
    """Return the dataset stored under ``key``.

    Raises:
        DataValidationError: When the key is absent or names a group.
    """
    try:
        obj = h5_file[key]
    except KeyError:
        raise DataValidationError(
            path, f'a dataset named {key!r}',
            f'keys {sorted(h5_file.keys())}', key=key) from None
    except (OSError, RuntimeError) as exc:
        raise DataValidationError(
            path, f'a readable dataset named {key!r}',
            f'an unreadable object ({_first_line(exc)})', key=key) from None
    if not isinstance(obj, h5py.Dataset):
        raise DataValidationError(path, 'a dataset', 'a group', key=key)
    return obj


def format_shape(shape: ShapeSpec) -> str:
    """Write a shape with unknown sizes as ``N``, e.g. ``(N, 10, 128)``."""
    sizes = ['N' if size is None else str(size) for size in shape]
    return f'({", ".join(sizes)}{"," if len(sizes) == 1 else ""})'


def check_shape(dataset: h5py.Dataset, shape: ShapeSpec, path: str,
                key: str, note: str = '') -> None:
    """Check the shape of a dataset; None in ``shape`` matches any size.

    Args:
        dataset (h5py.Dataset): The dataset.
        shape (Sequence[int | None]): The expected shape.
        path (str): The file, for the message.
        key (str): The key, for the message.
        note (str): Why this shape is expected, appended to the message.
            Defaults to ''.
    """
    found = dataset.shape
    if len(found) != len(shape) or any(
            size is not None and size != got
            for size, got in zip(shape, found)):
        expected = f'shape {format_shape(shape)}'
        if note:
            expected += f' ({note})'
        raise DataValidationError(path, expected, f'shape {found}', key=key)


def check_dtype(dataset: h5py.Dataset, kinds: str, path: str, key: str,
                description: str) -> None:
    """Check the kind of a dataset's dtype.

    Args:
        dataset (h5py.Dataset): The dataset.
        kinds (str): Accepted numpy dtype kinds, e.g. ``'f'`` for floating
            point, ``'iu'`` for integers.
        path (str): The file, for the message.
        key (str): The key, for the message.
        description (str): The expected values in words, e.g.
            ``'floating-point values'``.
    """
    if dataset.dtype.kind not in kinds:
        raise DataValidationError(
            path, description, f'dtype {dataset.dtype}', key=key)


def iter_blocks(dataset: h5py.Dataset,
                path: str,
                key: str,
                max_bytes: int = DEFAULT_BLOCK_BYTES
                ) -> Iterator[Tuple[int, np.ndarray]]:
    """Read a dataset along its first axis in blocks of bounded size.

    One buffer of at most ``max_bytes`` (at least one row) is reused, so a
    pass over a file of any size holds a bounded amount of memory. The
    yielded array is overwritten by the next block.

    Yields:
        tuple[int, np.ndarray]: The first row of the block and the block.

    Raises:
        DataValidationError: When a block cannot be read (a corrupt chunk
            or a file cut short).
    """
    num_rows = dataset.shape[0] if dataset.ndim else 1
    row_bytes = max(1, dataset.dtype.itemsize * int(
        np.prod(dataset.shape[1:], dtype=np.int64)))
    rows_per_block = max(1, min(num_rows, max_bytes // row_bytes))
    buffer = np.empty((rows_per_block, ) + dataset.shape[1:], dataset.dtype)
    for start in range(0, num_rows, rows_per_block):
        stop = min(num_rows, start + rows_per_block)
        block = buffer[:stop - start]
        try:
            dataset.read_direct(block, np.s_[start:stop])
        except (OSError, RuntimeError, ValueError) as exc:
            raise DataValidationError(
                path, 'readable data', f'a read error ({_first_line(exc)})',
                key=key, row=f'{start}-{stop - 1}') from None
        yield start, block


def find_nonfinite_rows(
        dataset: h5py.Dataset,
        path: str,
        key: str,
        max_bytes: int = DEFAULT_BLOCK_BYTES,
        show_progress: bool = False) -> Tuple[int, Optional[int]]:
    """Count the rows (first axis) holding NaN or infinite values.

    Streams the dataset with :func:`iter_blocks`; with ``show_progress``,
    the rows read are shown with rate and ETA (a summary line when not on
    a terminal).

    Returns:
        tuple[int, int | None]: The number of such rows and the first one.
    """
    count, first = 0, None
    progress = Progress(
        dataset.shape[0] if dataset.ndim else 1,
        f'Checking the values of {path}', 'rows',
        enabled=None if show_progress else False, summary=show_progress)
    with progress:
        for start, block in iter_blocks(dataset, path, key, max_bytes):
            bad_rows = ~np.isfinite(block.reshape(len(block), -1)).all(
                axis=1)
            num_bad = int(bad_rows.sum())
            if num_bad:
                if first is None:
                    first = start + int(np.argmax(bad_rows))
                count += num_bad
            progress.update(len(block))
    return count, first


def check_dataset_finite(dataset: h5py.Dataset,
                         path: str,
                         key: str,
                         max_bytes: int = DEFAULT_BLOCK_BYTES,
                         show_progress: bool = False) -> None:
    """Raise DataValidationError when any value of a dataset is NaN or
    infinite (streamed, see :func:`find_nonfinite_rows`)."""
    count, first = find_nonfinite_rows(dataset, path, key, max_bytes,
                                       show_progress)
    if count:
        raise DataValidationError(
            path, 'finite values',
            f'NaN or infinite values in {count} row(s), the first being '
            f'row {first}', key=key, row=first)


def read_all(dataset: h5py.Dataset, path: str, key: str) -> np.ndarray:
    """Read a whole (small) dataset into memory."""
    try:
        return dataset[()]
    except (OSError, RuntimeError, ValueError) as exc:
        raise DataValidationError(
            path, 'readable data', f'a read error ({_first_line(exc)})',
            key=key) from None


class H5RowReader:
    """Read single rows of one HDF5 dataset into caller-given buffers.

    A contiguous, unfiltered dataset stored in native byte order is read
    with one ``pread`` per row, bypassing HDF5's selection machinery (the
    bytes of row ``i`` start at ``offset + i * row_bytes``); any other
    layout (chunked, compressed) goes through h5py. Either way the file is
    opened read-only, in the process that calls :meth:`read`.

    Args:
        path (str): The file.
        key (str): The dataset key.
        row_shape (Sequence[int]): Expected shape of one row.
    """

    def __init__(self, path: str, key: str, row_shape: Sequence[int]) -> None:
        self.path = path
        self.key = key
        self._file = open_h5(path)
        try:
            self._dataset = get_dataset(self._file, key, path)
            check_shape(self._dataset, (None, ) + tuple(row_shape), path, key)
            check_dtype(self._dataset, 'f', path, key,
                        'floating-point values')
        except DataValidationError:
            self._file.close()
            raise
        self.num_rows = self._dataset.shape[0]
        self.dtype = self._dataset.dtype
        self.row_shape = tuple(row_shape)
        self._row_bytes = self.dtype.itemsize * int(np.prod(row_shape))
        self._fd: Optional[int] = None
        self._offset = self._contiguous_offset()
        if self._offset is not None:
            self._fd = os.open(path, os.O_RDONLY)

    def _contiguous_offset(self) -> Optional[int]:
        dataset = self._dataset
        if (dataset.chunks is not None or dataset.compression is not None
                or not self.dtype.isnative):
            return None
        return dataset.id.get_offset()

    def read(self, row: int, out: np.ndarray) -> np.ndarray:
        """Read row ``row`` into ``out`` (C-contiguous, the file's dtype).

        Returns:
            np.ndarray: ``out``.
        """
        if (out.dtype != self.dtype or out.shape != self.row_shape
                or not out.flags.c_contiguous):
            raise ValueError(
                f'out must be a C-contiguous {self.dtype} array of shape '
                f'{self.row_shape}, got {out.dtype} {out.shape}')
        if not 0 <= row < self.num_rows:
            raise DataValidationError(
                self.path, f'a row index in [0, {self.num_rows})', row,
                key=self.key, row=row)
        try:
            if self._fd is not None:
                num_read = os.preadv(self._fd, [out],
                                     self._offset + row * self._row_bytes)
                if num_read != self._row_bytes:
                    raise OSError(f'read {num_read} of {self._row_bytes} '
                                  'bytes')
            else:
                self._dataset.read_direct(out, np.s_[row])
        except (OSError, RuntimeError, ValueError) as exc:
            raise DataValidationError(
                self.path, 'readable data',
                f'a read error ({_first_line(exc)}); the file may be '
                'truncated or corrupt', key=self.key, row=row) from None
        return out

    def close(self) -> None:
        """Close the file (and the raw descriptor of the fast path)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._file.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
