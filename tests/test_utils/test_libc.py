import resource

import torch

from mmcpsp.utils.libc import keep_large_blocks_in_heap, libc_function


def _page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def test_freed_large_blocks_are_reused():
    """A 64 MB block freed and allocated again faults its pages once."""
    assert libc_function('mallopt') is not None  # glibc
    assert libc_function('no_such_function_in_libc') is None
    assert keep_large_blocks_in_heap(256 << 20)
    shape = (64 << 20) // 4
    for _ in range(20):  # the heap grows to hold the block
        torch.ones(shape)
    before = _page_faults()
    for _ in range(5):
        torch.ones(shape)
    pages = (64 << 20) // 4096
    # In fresh memory each allocation faults every page (5 x 16,384).
    assert _page_faults() - before < pages
