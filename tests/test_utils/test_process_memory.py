import mmap
import os

from mmcpsp.utils.process_memory import tree_memory_kib


def test_tree_memory_counts_unmapped_shared_memory_once():
    before = tree_memory_kib(os.getpid())
    size = 32 << 20
    fd = os.memfd_create('test-batch')
    try:
        os.ftruncate(fd, size)
        with mmap.mmap(fd, size) as mapping:
            mapping.write(b'x' * size)
        # Written, then unmapped: in no RSS or PSS, but held.
        after = tree_memory_kib(os.getpid())
    finally:
        os.close(fd)
    assert after['Shm'] - before['Shm'] == size // 1024
    assert after['Total'] - before['Total'] >= 0.9 * size // 1024
    assert abs(after['Pss'] - before['Pss']) < 0.5 * size // 1024
