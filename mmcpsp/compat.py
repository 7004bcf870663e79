"""Workarounds for defects of the pinned upstream releases.

Each fix names the defect it works around, so it can be deleted as soon as
upstream releases carry their own fix. ``apply_all`` is called once, on
``import mmcpsp``, before anything imports ``mmaction.models``. Every fix is
idempotent and covered by ``tests/test_compat.py``.
"""
import importlib.util
import os
import os.path as osp
import re
import sys
import tempfile
import types
from collections.abc import Mapping
from typing import Any, Optional

import torch
import torch.distributed as torch_dist

_DRN_MODULES = ('mmaction.models.localizers.drn',
                'mmaction.models.localizers.drn.drn')


class _MissingDRN:
    """Stands in for ``mmaction``'s DRN, which its 1.2.0 wheel lacks."""

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(
            'DRN is not available: the mmaction2 1.2.0 wheel does not ship '
            'mmaction/models/localizers/drn (open-mmlab/mmaction2#2714). '
            'Install mmaction2 from source to use DRN.')


def add_missing_drn_module() -> None:
    """Fix 1: ``import mmaction.models`` fails on the 1.2.0 wheel.

    Upstream: https://github.com/open-mmlab/mmaction2/issues/2714. Placeholder
    modules are registered before ``mmaction.models`` is imported; building
    ``DRN`` raises a clear error instead.
    """
    for name in _DRN_MODULES:
        if name in sys.modules:
            continue
        module = types.ModuleType(name)
        module.DRN = _MissingDRN
        module.__path__ = []  # a package, so ``drn.drn`` can be imported
        sys.modules[name] = module


def _load_local_checkpoint(filename: str,
                           map_location: Optional[Any] = None) -> Any:
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    # Checkpoints are trusted local files written by the runner: they hold
    # HistoryBuffer and numpy objects that weights_only=True refuses.
    return torch.load(filename, map_location=map_location, weights_only=False)


def fix_checkpoint_loading() -> None:
    """Fix 2: torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``.

    mmengine 0.10.7 does not pass ``weights_only=False``, so ``resume`` and
    ``load_from`` fail on the pickled HistoryBuffer of the message hub
    (https://github.com/open-mmlab/mmengine/issues/1621). The local-file
    scheme is re-registered with a loader that passes it.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_local_checkpoint, force=True)


def _init_dist_pytorch_cpu_aware(backend: str = 'nccl', **kwargs) -> None:
    if torch.cuda.is_available():
        return _ORIGINAL_INIT_DIST_PYTORCH(backend, **kwargs)
    kwargs.pop('init_backend', None)
    torch_dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)


_ORIGINAL_INIT_DIST_PYTORCH = None


def fix_cpu_distributed_init() -> None:
    """Fix 3: mmengine's pytorch launcher calls ``torch.cuda.set_device``.

    On a machine without CUDA that crashes
    (https://github.com/open-mmlab/mmengine/issues/1432). Without CUDA a gloo
    process group is initialised instead; with CUDA nothing changes.
    """
    global _ORIGINAL_INIT_DIST_PYTORCH
    from mmengine.dist import utils as dist_utils
    if dist_utils._init_dist_pytorch is _init_dist_pytorch_cpu_aware:
        return
    _ORIGINAL_INIT_DIST_PYTORCH = dist_utils._init_dist_pytorch
    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu_aware


def register_cpu_ddp_wrapper() -> None:
    """Fix 4 and 12: DDP on CPU, found where the runner looks for it.

    mmengine's runner always passes ``device_ids`` to DDP wrappers, which
    DDP rejects for CPU modules. ``CPUCompatibleDDP`` drops them when CUDA is
    absent. ``Runner.wrap_model`` looks wrappers up in mmengine's root
    registry whatever the default scope, so it is registered there.
    """
    from mmengine.model import MMDistributedDataParallel
    from mmengine.registry import MODEL_WRAPPERS
    if MODEL_WRAPPERS.get('CPUCompatibleDDP') is not None:
        return

    class CPUCompatibleDDP(MMDistributedDataParallel):
        """``MMDistributedDataParallel`` that also wraps CPU modules."""

        def __init__(self, module, device_ids=None, **kwargs) -> None:
            if not torch.cuda.is_available():
                device_ids = None
            super().__init__(module=module, device_ids=device_ids, **kwargs)

    MODEL_WRAPPERS.register_module(module=CPUCompatibleDDP)


def finalize_distributed() -> None:
    """Fix 5: tear the process group down before the interpreter exits.

    A gloo run whose group is still alive at exit sometimes aborts with
    "terminate called without an active exception". Called at the end of
    tools/train.py and tools/test.py.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def register_mmaction_modules() -> None:
    """Fix 6 and 7: register mmaction's modules outside ``mmaction.models``.

    Weight initialisers, hooks and transforms register only through
    ``register_all_modules``; a child registry does not import its parent's
    locations, so without this ``PackActionInputs`` is unknown under the
    ``mmcpsp`` scope.
    """
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=False)


def _atomic_put(self, obj: bytes, filepath) -> None:
    filepath = str(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=directory, prefix='.' + osp.basename(filepath) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def make_local_writes_atomic() -> None:
    """mmengine writes checkpoints in place.

    ``LocalBackend.put`` opens the target with 'wb' and writes into it, so a
    process killed during a save leaves a truncated ``epoch_N.pth`` behind.
    Writes now go to a temporary file in the same folder that is renamed over
    the target once complete, so a checkpoint file is either whole or absent.
    """
    from mmengine.fileio.backends import LocalBackend
    LocalBackend.put = _atomic_put


def fix_mmaction_function_registry() -> None:
    """mmaction2 1.2.0's FUNCTION registry points at a missing module.

    Its ``locations=['mmaction.mmengine']`` names a module that does not
    exist, so the first lookup through that node or a child of it (such as
    ``mmcpsp``'s FUNCTIONS, where ``avel_collate`` lives) raises
    ModuleNotFoundError. Locations that cannot be imported are dropped;
    mmaction's functions are registered by :func:`register_mmaction_modules`.
    """
    from mmaction.registry import FUNCTION
    FUNCTION._locations = [
        location for location in FUNCTION._locations
        if importlib.util.find_spec(location) is not None
    ]


def register_collate_in_root() -> None:
    """Fix 12, for collate functions: the runner looks in the root registry.

    ``Runner.build_dataloader`` looks ``collate_fn`` types up in mmengine's
    root FUNCTIONS, whose lookup reaches only its direct children: a
    function of the ``mmcpsp`` node (a grandchild, under mmaction's) is not
    found, even as ``mmcpsp.avel_collate``. mmcpsp's collate function is
    registered in the root as well.
    """
    from mmengine.registry import FUNCTIONS

    from mmcpsp.datasets.collate import avel_collate
    if FUNCTIONS.get('avel_collate') is None:
        FUNCTIONS.register_module(module=avel_collate)


def draw_features_in_visualization_hook() -> None:
    """MMAction2's ``VisualizationHook`` stops with ``KeyError: 0``.

    It takes ``data_batch['inputs'][i]`` as the frames of the i-th video
    clip; mmcpsp's batches hold a dict of audio-visual features instead. For
    such batches it now draws what ``AVELVisualizationHook`` draws (the
    timeline of each video); batches of video clips are drawn as before.
    """
    from mmaction.engine.hooks import VisualizationHook
    original = VisualizationHook._draw_samples
    if getattr(original, 'draws_features', False):
        return

    def _draw_samples(self, batch_idx, data_batch, data_samples, step=0):
        if isinstance(data_batch.get('inputs'), Mapping):
            from mmcpsp.engine.hooks import AVELVisualizationHook
            return AVELVisualizationHook._draw_samples(
                self, batch_idx, data_batch, data_samples, step)
        return original(self, batch_idx, data_batch, data_samples, step)

    _draw_samples.draws_features = True
    VisualizationHook._draw_samples = _draw_samples


_REGISTRY_PREFIX = re.compile(r'class `[^`]+` in [^:\s]+: ')


def unwrap_registry_error(message: str) -> str:
    """Fix 14: strip the "class `X` in module: " prefixes of the registry.

    ``build_from_cfg`` re-raises an error from a constructor with such a
    prefix, once per nesting level; the user needs only the message itself.
    """
    return _REGISTRY_PREFIX.sub('', message)


def apply_all() -> None:
    """Apply every fix of this module; safe to call more than once."""
    add_missing_drn_module()
    fix_checkpoint_loading()
    fix_cpu_distributed_init()
    register_cpu_ddp_wrapper()
    make_local_writes_atomic()
    register_mmaction_modules()
    fix_mmaction_function_registry()
    register_collate_in_root()
    draw_features_in_visualization_hook()
