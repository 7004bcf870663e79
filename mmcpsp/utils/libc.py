"""The glibc allocator setting of the feature store (a no-op elsewhere).

The one place where mmcpsp tunes the allocator: a store held in RAM keeps
the memory of gathered batches in the heap (:func:`keep_large_blocks_in_heap`,
called by :mod:`mmcpsp.datasets.preload`).
"""
import ctypes
from typing import Callable, Optional

#: mallopt(3) parameters.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def libc_function(name: str) -> Optional[Callable[..., int]]:
    """A function of the C library, or None where it lacks it."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def keep_large_blocks_in_heap(max_bytes: int) -> bool:
    """Let freed blocks of up to ``max_bytes`` be reused, not unmapped.

    glibc serves a block above its mmap threshold (at most 32 MB unless set)
    with a fresh ``mmap`` and unmaps it when freed, so a process that
    allocates and frees such a block in a loop pays a page fault for every
    4 KiB page of it each time. A batch gathered from a feature store held
    in RAM is such a block (64 MB of visual maps for 64 AVE videos): on the
    2-core development machine the gather took 24 ms in fresh memory and
    5 ms in reused memory, and the runner's loop ran at 0.94 x the model
    step instead of 0.98 x (``tools/analysis_tools/benchmark.py``,
    docs/benchmark.md). Raising the mmap and trim thresholds above the
    block size lets the heap keep and reuse the memory of the previous
    batch; the process then holds up to ``max_bytes`` of freed memory.

    Args:
        max_bytes (int): Largest block to keep in the heap.

    Returns:
        bool: Whether the C library took the setting (False without
        glibc's ``mallopt``).
    """
    mallopt = libc_function('mallopt')
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, int(max_bytes))
                and mallopt(M_TRIM_THRESHOLD, int(max_bytes)))
