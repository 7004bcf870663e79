"""Checks of arrays in memory, shared by every dataset."""
from typing import Optional

import numpy as np

from .errors import DataValidationError


def check_finite(array: np.ndarray,
                 path: str,
                 key: Optional[str] = None,
                 row: Optional[object] = None,
                 expected: str = 'finite values') -> None:
    """Raise naming the count and the first NaN or infinity of ``array``.

    Args:
        array (np.ndarray): Features of one video, [T, ...].
        path (str): The file, for the message.
        key (str, optional): The key, for the message. Defaults to None.
        row (object, optional): The row, for the message. Defaults to None.
        expected (str): What was expected, for the message. Defaults to
            ``'finite values'``.
    """
    finite = np.isfinite(array)
    if finite.all():
        return
    bad = tuple(int(i) for i in np.argwhere(~finite)[0])
    count = int(finite.size - np.count_nonzero(finite))
    raise DataValidationError(
        path, key=key, row=row, expected=expected,
        found=f'{count} NaN or infinite value(s), the first {array[bad]} '
        f'in segment {bad[0]} (index {bad})')


def one_hot_indices(labels: np.ndarray,
                    path: str,
                    key: str,
                    position_name: str = 'position') -> np.ndarray:
    """Check that every vector along the last axis is one-hot.

    Args:
        labels (np.ndarray): Array [N, ..., K].
        path (str): The file, for the message.
        key (str): The key, for the message.
        position_name (str): Name of the inner axes in the message, e.g.
            ``'segment'``. Defaults to ``'position'``.

    Returns:
        np.ndarray: int64 array [N, ...], the index of the set column.

    Raises:
        DataValidationError: At the first vector that is not one-hot,
            naming its row.
    """
    is_one = labels == 1
    valid_values = is_one | (labels == 0)
    valid = valid_values.all(axis=-1) & (is_one.sum(axis=-1) == 1)
    if not valid.all():
        where = np.unravel_index(int(np.argmin(valid.ravel())), valid.shape)
        vector = labels[where]
        bad_values = vector[~valid_values[where]]
        if bad_values.size:
            found = f'the value {bad_values[0]!r}'
        else:
            found = f'{int(is_one[where].sum())} columns set'
        inner = ''.join(f', {position_name} {index}' for index in where[1:])
        raise DataValidationError(
            path, f'a one-hot vector over {labels.shape[-1]} columns '
            '(one 1, the rest 0)', found, key=key, row=f'{where[0]}{inner}')
    return np.argmax(labels, axis=-1).astype(np.int64)
