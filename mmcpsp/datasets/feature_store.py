"""Features of a whole split held in memory (RAM or a device).

A split is read once into one contiguous tensor per kind of feature
(``audio`` [N, T, Ca], ``visual`` [N, T, H, W, Cv]); a batch is then an
index gather, with no loader process. On a GPU the store lives on the
device, so no step waits for a host-to-device copy either.
"""
import os
import os.path as osp
from typing import Dict, Mapping, Optional, Sequence, Union

import numpy as np
import torch

from .errors import InsufficientMemoryError

#: Where a RAM store shared by the processes of one machine lives.
SHARED_MEMORY_DIR = '/dev/shm'


def format_bytes(num_bytes: float) -> str:
    """``'3.4 GB'``, in powers of 1,000 as disks and drivers report."""
    for unit in ('B', 'kB', 'MB', 'GB'):
        if num_bytes < 1000:
            return f'{num_bytes:.1f} {unit}'
        num_bytes /= 1000
    return f'{num_bytes:.1f} TB'


def available_ram() -> Optional[int]:
    """MemAvailable of /proc/meminfo in bytes, or None where it is absent."""
    try:
        with open('/proc/meminfo') as file:
            for line in file:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def available_shared_memory() -> Optional[int]:
    """Free bytes of the shared-memory filesystem, or None without one."""
    try:
        stats = os.statvfs(SHARED_MEMORY_DIR)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def available_bytes(device: torch.device, shared: bool = False
                    ) -> Optional[int]:
    """Memory a store may take on ``device`` now; None when unknown."""
    if device.type == 'cuda':
        return torch.cuda.mem_get_info(device)[0]
    ram = available_ram()
    if not shared:
        return ram
    shm = available_shared_memory()
    known = [value for value in (ram, shm) if value is not None]
    return min(known) if known else None


class FeatureStore:
    """Fixed-size tensors [N, ...] of one split, filled row by row.

    Args:
        row_shapes (Mapping[str, Sequence[int]]): Shape of one row (video)
            per kind, e.g. ``{'audio': (10, 128), 'visual': (10, 7, 7,
            512)}``.
        num_rows (int): N, the videos of the split.
        dtype (torch.dtype): Storage dtype (e.g. float16 to halve memory).
        device (torch.device | str): ``'cpu'`` or a CUDA device.
        shared_file (str, optional): On CPU, a file under /dev/shm whose
            memory the store maps, so that processes of one machine share
            one copy; created when ``create``, else opened. Defaults to
            None (private memory).
        create (bool): Whether this process creates ``shared_file``.
            Defaults to True.
        what (str): The split, for messages. Defaults to 'the split'.

    Raises:
        InsufficientMemoryError: Before allocating anything, when the
            store would not fit in the memory available on ``device``.
    """

    def __init__(self,
                 row_shapes: Mapping[str, Sequence[int]],
                 num_rows: int,
                 dtype: torch.dtype,
                 device: Union[torch.device, str] = 'cpu',
                 shared_file: Optional[str] = None,
                 create: bool = True,
                 what: str = 'the split') -> None:
        self.row_shapes = {
            kind: tuple(int(size) for size in shape)
            for kind, shape in row_shapes.items()
        }
        self.num_rows = int(num_rows)
        self.dtype = dtype
        self.device = torch.device(device)
        self.shared_file = shared_file
        if shared_file is not None and self.device.type != 'cpu':
            raise ValueError('only a CPU store can be shared through a file')
        if create:
            self.check_fits(what)
        self.tensors = self._allocate(create)

    @property
    def row_elements(self) -> Dict[str, int]:
        """Number of values in one row of each kind."""
        return {
            kind: int(np.prod(shape))
            for kind, shape in self.row_shapes.items()
        }

    @property
    def nbytes(self) -> int:
        """Bytes the whole store takes."""
        itemsize = torch.empty(0, dtype=self.dtype).element_size()
        return self.num_rows * sum(self.row_elements.values()) * itemsize

    def check_fits(self, what: str) -> None:
        """Raise before allocating when the store cannot fit."""
        available = available_bytes(self.device,
                                    self.shared_file is not None)
        if available is None or self.nbytes <= available:
            return
        where = ('shared memory (/dev/shm) and RAM' if self.shared_file
                 else 'GPU memory' if self.device.type == 'cuda' else 'RAM')
        raise InsufficientMemoryError(
            f'preloading {what} needs {format_bytes(self.nbytes)} '
            f'({self.num_rows:,} videos in {str(self.dtype)[6:]}) but '
            f'{format_bytes(available)} of {where} is available on '
            f'{self.device}; store it in float16 (preload_dtype='
            "'float16'), preload it elsewhere, or stream it from disk "
            '(preload=None)')

    def _allocate(self, create: bool) -> Dict[str, torch.Tensor]:
        shapes = {
            kind: (self.num_rows, ) + shape
            for kind, shape in self.row_shapes.items()
        }
        if self.shared_file is None:
            return {
                kind: torch.empty(shape, dtype=self.dtype, device=self.device)
                for kind, shape in shapes.items()
            }
        total = self.num_rows * sum(self.row_elements.values())
        if create:
            # O_EXCL: never map a file another job left behind.
            fd = os.open(self.shared_file,
                         os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        flat = torch.from_file(
            self.shared_file, shared=True, size=total, dtype=self.dtype)
        tensors, offset = {}, 0
        for kind, shape in shapes.items():
            size = int(np.prod(shape))
            tensors[kind] = flat[offset:offset + size].view(shape)
            offset += size
        return tensors

    def write(self, row: int, features: Mapping[str, np.ndarray]) -> None:
        """Copy one video's features (arrays of the row shapes) to ``row``."""
        for kind, tensor in self.tensors.items():
            tensor[row].copy_(torch.from_numpy(np.asarray(features[kind])))

    def row(self, index: int, dtype: Optional[torch.dtype] = None
            ) -> Dict[str, torch.Tensor]:
        """The features of one video, each a new tensor owning its memory."""
        return {
            kind: tensor[index].to(dtype or self.dtype, copy=True)
            for kind, tensor in self.tensors.items()
        }

    def gather(self,
               indices: Union[Sequence[int], torch.Tensor],
               dtype: Optional[torch.dtype] = None
               ) -> Dict[str, torch.Tensor]:
        """A batch: the rows ``indices`` of every kind, [B, ...].

        Args:
            indices (Sequence[int] | torch.Tensor): Rows to take.
            dtype (torch.dtype, optional): Output dtype. Defaults to None,
                meaning the storage dtype.

        Returns:
            dict[str, torch.Tensor]: Kind -> new tensor [B, ...] on the
            store's device.
        """
        index = torch.as_tensor(indices, dtype=torch.long)
        batch = {}
        for kind, tensor in self.tensors.items():
            rows = tensor.index_select(0, index.to(tensor.device))
            batch[kind] = rows if dtype in (None, self.dtype) else rows.to(
                dtype)
        return batch

    def unlink(self) -> None:
        """Remove the shared file's name; mappings stay valid."""
        if self.shared_file is not None and osp.exists(self.shared_file):
            os.remove(self.shared_file)

    def __repr__(self) -> str:
        shapes = ', '.join(f'{kind}={list(tensor.shape)}'
                           for kind, tensor in self.tensors.items())
        return (f'{self.__class__.__name__}({shapes}, dtype={self.dtype}, '
                f'device={self.device}, {format_bytes(self.nbytes)})')

