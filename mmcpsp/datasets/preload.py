"""``preload`` for the feature datasets: a split read once, served by index.

With ``preload`` set, a dataset reads its split once when it is fully
initialised (one pass, with progress), keeps the features in a
:class:`~mmcpsp.datasets.feature_store.FeatureStore` and serves a batch of
the DataLoader as one index gather (``__getitems__``), in the process that
trains: no loader workers compete with the model for the cores, and a
device store never waits for a host-to-device copy.

Measured reason (docs/benchmark.md): on a 2-core machine the two loader
workers of the streaming path slowed the runner to 0.54-0.88 x the model
step whenever anything else ran, while the whole AVE set is 4.2 GB in
float32 (2.1 GB in float16).
"""
import hashlib
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple, Union

import torch
from mmcv.transforms import Compose
from mmengine.dist import (
    barrier,
    broadcast_object_list,
    is_distributed,
)
from mmengine.logging import print_log
from torch.utils.data import get_worker_info

from mmcpsp.utils import Progress
from mmcpsp.utils.libc import keep_large_blocks_in_heap

from .feature_store import SHARED_MEMORY_DIR, FeatureStore, format_bytes

STORAGE_DTYPES = (None, 'float16', 'float32', 'float64')
#: Largest gathered batch whose memory the heap keeps for the next one.
_MAX_HEAP_BLOCK = 512 << 20


class PreloadedBatch(dict):
    """A batch gathered from a store: ``inputs`` stacked [B, ...] and the
    ``data_samples`` list, as ``avel_collate`` returns it (and passes on)."""

    def __getitem__(self, key):
        if isinstance(key, int):
            raise TypeError(
                'this batch comes from a preloaded dataset and is already '
                "collated: use collate_fn=dict(type='avel_collate')")
        return super().__getitem__(key)


def resolve_place(preload: str) -> torch.device:
    """The device of ``preload``: ``'ram'``, ``'auto'``, ``'cuda[:N]'``.

    ``'auto'`` is the current CUDA device when there is one, else RAM;
    ``'cuda'`` is the current CUDA device (each rank's own under DDP).
    """
    if preload == 'ram':
        return torch.device('cpu')
    if preload == 'auto':
        preload = 'cuda' if torch.cuda.is_available() else 'ram'
        return resolve_place(preload)
    try:
        device = torch.device(preload)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type != 'cuda':
        raise ValueError("preload must be None, 'ram', 'auto' or a CUDA "
                         f"device such as 'cuda', got {preload!r}")
    if not torch.cuda.is_available():
        raise ValueError(f'preload={preload!r} needs CUDA, which is not '
                         "available here: use preload='ram'")
    if device.index is None:
        device = torch.device('cuda', torch.cuda.current_device())
    return device


def _local_processes() -> Tuple[int, int]:
    """(local rank, processes on this machine), from torchrun's variables."""
    if not is_distributed():
        return 0, 1
    try:
        return (int(os.environ['LOCAL_RANK']),
                int(os.environ['LOCAL_WORLD_SIZE']))
    except (KeyError, ValueError):
        return 0, 1  # unknown: every process keeps its own store


class PreloadMixin:
    """Adds ``preload`` to a feature dataset (a :class:`BaseDataset`).

    The dataset's pipeline must end with ``PackAVELInputs``; the transforms
    before it (the loading transform) run once per video at preload, the
    features it packs (``input_keys``, e.g. ``audio`` and ``visual``) go to
    the store and the rest of their output (labels, ids) is kept per
    video.

    Under DDP, a RAM store is read once per machine, by its first process,
    into shared memory that every process of the machine maps read-only;
    a CUDA store is read by every process onto its own device.
    """

    def _init_preload(self, preload: Optional[str],
                      preload_dtype: Optional[str]) -> None:
        if preload is not None:
            resolve_place(preload)  # fail early on a bad value
        if preload_dtype not in STORAGE_DTYPES:
            raise ValueError(f'preload_dtype must be one of '
                             f'{STORAGE_DTYPES}, got {preload_dtype!r}')
        self.preload = preload
        self.preload_dtype = preload_dtype
        self._store: Optional[FeatureStore] = None
        self._preloaded: List[dict] = []

    @property
    def store(self) -> Optional[FeatureStore]:
        """The feature store, or None when the split is not preloaded."""
        return self._store

    def full_init(self) -> None:
        """Initialise as :class:`BaseDataset` does, then preload."""
        if self._fully_initialized:
            return
        super().full_init()
        if self.preload is not None and len(self) > 0:
            self._build_store()

    def _split_pipeline(self) -> Tuple[Compose, Callable]:
        transforms = list(self.pipeline.transforms)
        # Any packing transform that can pack a sample without features
        # (``PackAVELInputs.pack_data_sample``) will do.
        if not transforms or not hasattr(transforms[-1], 'pack_data_sample'):
            raise ValueError(
                'preload needs a pipeline that ends with PackAVELInputs, '
                f'got {[type(t).__name__ for t in transforms]}')
        return Compose(transforms[:-1]), transforms[-1]

    def _describe(self) -> str:
        return f'the {self.split} split of {self.data_root}'

    def _shared_file(self) -> str:
        key = '|'.join(
            str(part) for part in (
                osp.abspath(self.data_root), self.split,
                getattr(self, 'supervision', ''), len(self),
                self.preload_dtype, os.environ.get('MASTER_ADDR'),
                os.environ.get('MASTER_PORT'),
                os.environ.get('TORCHELASTIC_RUN_ID')))
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        return osp.join(SHARED_MEMORY_DIR, f'mmcpsp-store-{digest}')

    def _build_store(self) -> None:
        load, self._pack = self._split_pipeline()
        device = resolve_place(self.preload)
        local_rank, local_size = _local_processes()
        shared = device.type == 'cpu' and local_size > 1
        reads = not shared or local_rank == 0
        first = load(self.get_data_info(0))
        row_shapes = {
            kind: tuple(first[kind].shape)
            for kind in self._pack.input_keys
        }
        feature_dtype = str(first[self._pack.input_keys[-1]].dtype)
        dtype = getattr(torch, self.preload_dtype or feature_dtype)
        self._output_dtype = getattr(torch, feature_dtype)
        options = dict(
            row_shapes=row_shapes, num_rows=len(self), dtype=dtype,
            device=device, what=self._describe(),
            shared_file=self._shared_file() if shared else None)
        store = None
        try:
            if reads:
                store = FeatureStore(create=True, **options)
                self._preloaded = self._fill(store, load)
            if shared:
                barrier()
                if store is None:
                    store = FeatureStore(create=False, **options)
                barrier()  # every process has mapped the file
            if is_distributed() and shared:
                objects = [self._preloaded]
                broadcast_object_list(objects, src=0)
                self._preloaded = objects[0]
        finally:
            if store is not None and reads:
                store.unlink()
        self._store = store
        if device.type == 'cpu':
            # Batches are gathered here, in fresh memory each time unless
            # the heap keeps the previous one (measured: 24 against 5 ms).
            keep_large_blocks_in_heap(min(store.nbytes, _MAX_HEAP_BLOCK))
        sharing = (f', shared by the {local_size} processes of this machine'
                   if shared else '')
        print_log(
            f'Preloaded {self._describe()}: {len(self):,} videos, '
            f'{format_bytes(store.nbytes)} of {str(dtype)[6:]} on '
            f'{device}{sharing}', logger='current')

    def _fill(self, store: FeatureStore, load: Compose) -> List[dict]:
        preloaded = []
        with Progress(len(self), f'Preloading {self._describe()}',
                      'videos') as progress:
            for index in range(len(self)):
                results = load(self.get_data_info(index))
                store.write(index, results)
                preloaded.append({
                    key: value
                    for key, value in results.items()
                    if key not in self._pack.input_keys
                })
                progress.update()
        return preloaded

    def prepare_data(self, idx: int) -> dict:
        """One sample: from the store when preloaded, else the pipeline."""
        if self._store is None:
            return super().prepare_data(idx)
        results = dict(self._preloaded[idx])
        results.update(self._store.row(idx, self._output_dtype))
        return self._pack(results)

    def __getitems__(self, indices: Sequence[int]
                     ) -> Union[PreloadedBatch, List[dict]]:
        """A batch for the DataLoader: one gather when preloaded."""
        if self._store is None:
            return [self[index] for index in indices]
        if get_worker_info() is not None and self._store.device.type != 'cpu':
            raise RuntimeError(
                'a dataset preloaded on a device is served by the training '
                'process: set num_workers=0 in its dataloader')
        data_samples = [
            self._pack.pack_data_sample(self._preloaded[index])
            for index in indices
        ]
        return PreloadedBatch(
            inputs=self._store.gather(indices, self._output_dtype),
            data_samples=data_samples)
