"""Arrays whose memory is reused once nothing refers to them any more.

A loading transform hands out one new array of about 1 MiB per video and
field. Whether ``np.empty`` then reuses memory or maps fresh pages depends
on the C library's heap state, which a DataLoader worker inherits from
whatever its parent did before forking: measured in AVE loader workers, the
same code took 0.7 or 1.3 ms a video depending on the parent, the slow case
with about 190 page faults a video (each first write to a fresh 4 KiB page
costs about 2.4 us here). :class:`ArrayRecycler` keeps the arrays it made
and hands one out again only when its reference count shows that no
caller, view or tensor (``torch.from_numpy`` holds the array) still uses
it, so a steady pipeline touches the same memory over and over.
"""
import sys
import threading
from typing import Dict, List, Sequence, Tuple

import numpy as np

_Key = Tuple[Tuple[int, ...], np.dtype]


def _references(arrays: List[np.ndarray], index: int) -> int:
    return sys.getrefcount(arrays[index])


def _baseline() -> int:
    """References of an array held only by a recycler's list."""
    return _references([np.empty(0)], 0)


class ArrayRecycler:
    """Hand out C-contiguous arrays, reusing those nobody holds any more.

    The recycler holds at most ``max_arrays`` arrays per shape and dtype:
    as many as were in use at the same time (e.g. one batch of samples),
    beyond the cap new arrays are not kept. Arrays that are handed out
    again hold stale values; like ``np.empty``, the caller overwrites them.

    A recycler belongs to one process: it does not pickle its arrays.
    It may be shared by threads.

    Args:
        max_arrays (int): Arrays kept per shape and dtype. Defaults to
            1024.
    """

    _FREE = _baseline()

    def __init__(self, max_arrays: int = 1024) -> None:
        self.max_arrays = max_arrays
        self._arrays: Dict[_Key, List[np.ndarray]] = {}
        self._next: Dict[_Key, int] = {}
        self._lock = threading.Lock()

    def empty(self, shape: Sequence[int], dtype) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` with arbitrary values."""
        key = (tuple(shape), np.dtype(dtype))
        with self._lock:
            return self._empty(key)

    def _empty(self, key: _Key) -> np.ndarray:
        arrays = self._arrays.setdefault(key, [])
        # Start after the last one handed out: in a steady pipeline that
        # is the oldest, the first to be released.
        start = self._next.get(key, 0)
        for step in range(len(arrays)):
            index = (start + step) % len(arrays)
            if _references(arrays, index) == self._FREE:
                self._next[key] = index + 1
                return arrays[index]
        array = np.empty(key[0], key[1])
        if len(arrays) < self.max_arrays:
            arrays.append(array)
            self._next[key] = 0
        return array

    def __getstate__(self) -> dict:
        return {'max_arrays': self.max_arrays}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)
