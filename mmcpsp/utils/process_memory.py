"""Memory of a process and its descendants, read from /proc (Linux)."""
import os
import threading
from typing import Dict, List


def _memory_kib(pid: int) -> Dict[str, int]:
    """Rss, Pss and Pss_Shmem of one process in KiB; empty if it ended."""
    values = {}
    try:
        with open(f'/proc/{pid}/smaps_rollup') as file:
            for line in file:
                name, _, rest = line.partition(':')
                if name in ('Rss', 'Pss', 'Pss_Shmem'):
                    values[name] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    return values


def _shared_files(pid: int, found: Dict[tuple, int]) -> None:
    """Add the shared-memory files ``pid`` holds open to ``found``.

    ``found`` maps (device, inode) to allocated KiB. These are the memfd
    and /dev/shm files that carry batches from the workers: while a batch
    waits in a queue, or sits in the main process unread, its pages are
    mapped by no process (or not touched), so no RSS or PSS shows them.
    """
    try:
        fds = os.listdir(f'/proc/{pid}/fd')
    except (FileNotFoundError, PermissionError):
        return
    for fd in fds:
        path = f'/proc/{pid}/fd/{fd}'
        try:
            target = os.readlink(path)
            if not target.startswith(('/memfd:', '/dev/shm/')):
                continue
            stat = os.stat(path)
        except (FileNotFoundError, PermissionError):
            continue
        found[(stat.st_dev, stat.st_ino)] = stat.st_blocks * 512 // 1024


def _descendants(pid: int) -> List[int]:
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f'/proc/{parent}/task')
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f'/proc/{parent}/task/{task}/children') as file:
                    children = [int(child) for child in file.read().split()]
            except FileNotFoundError:
                continue
            found.extend(children)
            stack.extend(children)
    return found


def tree_memory_kib(pid: int) -> Dict[str, int]:
    """Memory (KiB) of ``pid`` and all its descendants.

    ``Rss`` and ``Pss`` are summed over the processes; ``Shm`` is the
    shared-memory files they hold open, each counted once; ``Total`` is
    ``Pss`` with the mapped shared memory replaced by ``Shm``: what the
    tree holds, whether a page is mapped or not.
    """
    total = dict(Rss=0, Pss=0, Total=0, Shm=0, processes=0)
    shared: Dict[tuple, int] = {}
    for member in [pid] + _descendants(pid):
        values = _memory_kib(member)
        if values:
            total['Rss'] += values['Rss']
            total['Pss'] += values['Pss']
            total['Total'] += values['Pss'] - values.get('Pss_Shmem', 0)
            total['processes'] += 1
            _shared_files(member, shared)
    total['Shm'] = sum(shared.values())
    total['Total'] += total['Shm']
    return total


class TreeSampler(threading.Thread):
    """Samples the memory of this process tree until stopped."""

    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: List[Dict[str, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(tree_memory_kib(os.getpid()))
            self._stop_event.wait(self.interval)

    def stop(self) -> List[Dict[str, int]]:
        self._stop_event.set()
        self.join()
        return self.samples
