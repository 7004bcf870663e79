"""Collated batches in reusable shared memory, for DataLoader workers.

A DataLoader worker hands each tensor of a batch to the main process
through shared memory. PyTorch creates a new segment for every tensor of
every batch, and on this kind of machine the first write to fresh shared
memory costs about 1.2 ms per MiB (the kernel allocates and zeroes each
4 KiB page; shared memory gets no transparent huge pages): for AVE's 1 MiB
of float32 visual features a video, more than the worker spends reading
and converting the video.

Here each worker keeps a small pool of shared-memory slots (``memfd``
files) and writes the stacked tensors of a batch into a free one. The batch
travels as a :class:`SharedBatch`: a ``dict`` that pickles as the slot's
file descriptor plus the layout of its tensors and unpickles, in the main
process, as a plain ``dict`` of tensors that view the slot. The slot is
*leased* until every tensor (and view) made from it in the main process has
been freed; only then does the main process mark it free, so a worker never
overwrites data still in use. When all slots of a worker are leased, the
worker adds one, up to ``max_slots``; past that it uses a one-off segment.
A worker keeps one free slot at most, so the pool holds the batches in
flight and one more.

Only Linux has ``memfd_create``; elsewhere :func:`shared_memory_available`
is false and the callers collate as PyTorch does.
"""
import mmap
import os
import weakref
from multiprocessing.reduction import DupFd
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

#: Bytes before the payload; byte 0 is the slot state.
_HEADER_BYTES = 64
_FREE, _LEASED = 0, 1
#: Alignment of every tensor in a slot.
_ALIGN = 64
#: Slots one worker keeps before it falls back to one-off segments.
DEFAULT_MAX_SLOTS = 16

#: (section, name, byte offset in the payload, dtype, shape)
Field = Tuple[str, str, int, torch.dtype, Tuple[int, ...]]


def shared_memory_available() -> bool:
    """Whether this platform can create the slots (Linux memfd)."""
    return hasattr(os, 'memfd_create')


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class _Slot:
    """One shared-memory file, mapped in the worker that created it."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = _HEADER_BYTES + capacity
        self.fd = os.memfd_create('mmcpsp-batch', os.MFD_CLOEXEC)
        try:
            os.ftruncate(self.fd, self.size)
            self.mapping = mmap.mmap(self.fd, self.size)
        except OSError:
            os.close(self.fd)
            raise
        weakref.finalize(self, os.close, self.fd)
        self.payload = torch.from_numpy(
            np.frombuffer(self.mapping, np.uint8, offset=_HEADER_BYTES))

    def is_free(self) -> bool:
        return self.mapping[0] == _FREE

    def set_state(self, state: int) -> None:
        self.mapping[0] = state

    def view(self, offset: int, dtype: torch.dtype,
             shape: Sequence[int]) -> torch.Tensor:
        return _view(self.payload, offset, dtype, shape)


def _view(payload: torch.Tensor, offset: int, dtype: torch.dtype,
          shape: Sequence[int]) -> torch.Tensor:
    numel = int(np.prod(shape, dtype=np.int64))
    nbytes = numel * torch.empty((), dtype=dtype).element_size()
    return payload[offset:offset + nbytes].view(dtype).view(tuple(shape))


class _SlotPool:
    """The slots of one worker process."""

    def __init__(self, max_slots: int) -> None:
        self.pid = os.getpid()
        self.max_slots = max_slots
        self.slots: List[_Slot] = []

    def acquire(self, nbytes: int) -> _Slot:
        """A free slot of at least ``nbytes``, marked leased.

        Free slots beyond one spare are closed, which returns their memory:
        the pool holds the batches in flight and one more.
        """
        free = [slot for slot in self.slots if slot.is_free()]
        fitting = [slot for slot in free if slot.capacity >= nbytes]
        if fitting:
            slot = min(fitting, key=lambda slot: slot.capacity)
        else:
            slot = _Slot(_round_up(max(nbytes, 1), mmap.PAGESIZE))
            if len(self.slots) < self.max_slots:
                self.slots.append(slot)
        slot.set_state(_LEASED)
        spare = [other for other in free if other is not slot]
        for other in sorted(spare, key=lambda other: other.capacity)[:-1]:
            self.slots.remove(other)
        return slot


_POOL: Optional[_SlotPool] = None


def _pool(max_slots: int) -> _SlotPool:
    """This process's pool (a forked child starts its own)."""
    global _POOL
    if _POOL is None or _POOL.pid != os.getpid():
        _POOL = _SlotPool(max_slots)
    _POOL.max_slots = max_slots
    return _POOL


class SharedBatch(dict):
    """A batch whose stacked tensors live in a shared-memory slot.

    In the worker it is the batch ``dict`` itself (tensors viewing the
    slot). Pickled, it sends the slot's file descriptor, the layout of the
    tensors and the rest of the batch; unpickled, it is a plain ``dict``
    whose tensors view the slot, leased until they are all freed.
    """

    def __init__(self, batch: dict, slot: _Slot,
                 fields: Sequence[Field]) -> None:
        super().__init__(batch)
        self._slot = slot
        self._fields = tuple(fields)

    def __reduce_ex__(self, protocol):
        rest = dict(self)
        for section, name, *_ in self._fields:
            rest[section] = {
                key: value
                for key, value in rest[section].items() if key != name
            }
        return (_rebuild_batch, (rest, DupFd(self._slot.fd), self._slot.size,
                                 self._fields))


def _release(mapping: mmap.mmap) -> None:
    mapping[0] = _FREE


def _rebuild_batch(rest: dict, dup_fd, size: int,
                   fields: Sequence[Field]) -> dict:
    """Map the slot in this process and put its tensors into the batch."""
    fd = dup_fd.detach()
    try:
        mapping = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    # Every tensor below views ``lease`` (through torch.from_numpy, which
    # keeps it alive); once they are all freed, ``lease`` is, and the slot
    # is marked free for its worker.
    lease = np.frombuffer(mapping, np.uint8, offset=_HEADER_BYTES)
    finalizer = weakref.finalize(lease, _release, mapping)
    finalizer.atexit = False
    payload = torch.from_numpy(lease)
    batch = dict(rest)
    for section, name, offset, dtype, shape in fields:
        batch[section] = dict(batch.get(section, {}))
        batch[section][name] = _view(payload, offset, dtype, shape)
    return batch


def stack_into_shared(
        batch: dict,
        tensors: Dict[Tuple[str, str], List[torch.Tensor]],
        max_slots: int = DEFAULT_MAX_SLOTS) -> Optional[SharedBatch]:
    """Stack tensors into a slot of this worker's pool.

    Args:
        batch (dict): The batch without the stacked tensors; each
            ``section`` named in ``tensors`` must be a dict in it.
        tensors (dict): ``(section, name) -> list`` of same-shaped,
            same-dtype tensors to stack into ``batch[section][name]``.
        max_slots (int): Slots the pool keeps.

    Returns:
        SharedBatch | None: The batch, or None when some list cannot be
        stacked (mixed shapes or dtypes), for the caller's own collate.
    """
    fields: List[Field] = []
    nbytes = 0
    for (section, name), items in tensors.items():
        first = items[0]
        if any(item.shape != first.shape or item.dtype != first.dtype
               for item in items):
            return None
        shape = (len(items), ) + tuple(first.shape)
        fields.append((section, name, nbytes, first.dtype, shape))
        numel = int(np.prod(shape, dtype=np.int64))
        nbytes = _round_up(nbytes + numel * first.element_size(), _ALIGN)
    slot = _pool(max_slots).acquire(nbytes)
    try:
        result = dict(batch)
        for section, *_ in fields:
            result[section] = dict(result.get(section, {}))
        for (section, name, offset, dtype, shape), items in zip(
                fields, tensors.values()):
            out = slot.view(offset, dtype, shape)
            torch.stack(items, out=out)
            result[section][name] = out
    except BaseException:
        slot.set_state(_FREE)
        raise
    return SharedBatch(result, slot, fields)
