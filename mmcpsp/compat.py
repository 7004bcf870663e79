"""Workarounds for defects of the pinned upstream releases.

Each fix names the defect it works around and is numbered as in
docs/compat.md, so it can be deleted as soon as upstream releases carry
their own fix; a fix that patches upstream code first checks that the
installed release still has the defect. ``apply_all`` is called once, on
``import mmcpsp``, before anything imports ``mmaction.models``. Every fix is
idempotent and covered by ``tests/test_compat.py``.
"""
import importlib.util
import os
import os.path as osp
import re
import sys
import types

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


def mmaction_lacks_drn() -> bool:
    """Whether the installed mmaction2 lacks ``models/localizers/drn``.

    Looked up on disk: importing it to find out would import
    ``mmaction.models``, which is what fails without it.
    """
    spec = importlib.util.find_spec('mmaction')
    package_dir = osp.dirname(spec.origin)
    return not osp.isdir(
        osp.join(package_dir, 'models', 'localizers', 'drn'))


def add_missing_drn_module() -> None:
    """Fix 1: ``import mmaction.models`` fails on the 1.2.0 wheel.

    Upstream: https://github.com/open-mmlab/mmaction2/issues/2714. Placeholder
    modules are registered before ``mmaction.models`` is imported; building
    ``DRN`` raises a clear error instead. Nothing is done where the installed
    mmaction2 ships the folder.
    """
    if not mmaction_lacks_drn():
        return
    for name in _DRN_MODULES:
        if name in sys.modules:
            continue
        module = types.ModuleType(name)
        module.DRN = _MissingDRN
        module.__path__ = []  # a package, so ``drn.drn`` can be imported
        sys.modules[name] = module


def use_safe_checkpoint_loader() -> None:
    """Fix 2: local checkpoints load with ``weights_only=True``, and work.

    mmengine 0.10.7 calls ``torch.load`` with torch's default: code-running
    unpickling before torch 2.6, and from 2.6 on ``weights_only=True``,
    which refuses the HistoryBuffer and numpy objects of the runner's own
    checkpoints, so ``resume`` and ``load_from`` fail
    (https://github.com/open-mmlab/mmengine/issues/1621). The local-file
    scheme is re-registered with
    :func:`mmcpsp.utils.checkpoint.load_checkpoint_file`, which allows
    those types by name and nothing else unless checkpoints are trusted.
    Whatever mmengine's loader does, this is mmcpsp's policy, so it is
    applied with every release.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmcpsp.utils.checkpoint import load_checkpoint_file
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_checkpoint_file, force=True)


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


def launcher_needs_cuda(init_dist_pytorch) -> bool:
    """Whether a pytorch launcher calls ``torch.cuda.set_device`` unguarded.

    Read from the names its code uses: mmengine 0.10.7's calls
    ``set_device`` on its last branch without asking whether CUDA is there;
    a fixed launcher would ask (``is_available``/``is_cuda_available``).
    """
    names = set(init_dist_pytorch.__code__.co_names)
    return 'set_device' in names and not names & {
        'is_available', 'is_cuda_available'
    }


def fix_cpu_distributed_init() -> None:
    """Fix 3: mmengine's pytorch launcher calls ``torch.cuda.set_device``.

    On a machine without CUDA that crashes
    (https://github.com/open-mmlab/mmengine/issues/1432). Without CUDA a gloo
    process group is initialised instead; with CUDA nothing changes. Nothing
    is patched where the installed launcher checks for CUDA itself.
    """
    global _ORIGINAL_INIT_DIST_PYTORCH
    from mmengine.dist import utils as dist_utils
    if dist_utils._init_dist_pytorch is _init_dist_pytorch_cpu_aware:
        return
    if not launcher_needs_cuda(dist_utils._init_dist_pytorch):
        return
    _ORIGINAL_INIT_DIST_PYTORCH = dist_utils._init_dist_pytorch
    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu_aware


def register_cpu_ddp_wrapper() -> None:
    """Fix 4: DDP on CPU, found where the runner looks for it.

    mmengine's runner always passes ``device_ids`` to DDP wrappers, which
    DDP rejects for CPU modules. ``CPUCompatibleDDP`` drops them when CUDA is
    absent. ``Runner.wrap_model`` looks wrappers up in mmengine's root
    registry whatever the default scope, so it is registered there. It is
    registered with every release: the default runtime config names it.
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
    "terminate called without an active exception". Called by
    tools/train.py and tools/test.py when the job succeeded, when every rank
    reaches the barrier; a rank that failed exits without it, since its
    peers may be waiting in another collective (the barrier would wait for
    them until the group's timeout).
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def register_mmaction_modules() -> None:
    """Fix 6: register mmaction's modules outside ``mmaction.models``.

    Weight initialisers, hooks and transforms register only through
    ``register_all_modules``; a child registry does not import its parent's
    locations, so without this ``PackActionInputs`` is unknown under the
    ``mmcpsp`` scope.
    """
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=False)


def fix_mmaction_function_registry() -> None:
    """Fix 7: mmaction2 1.2.0's FUNCTION registry names a missing module.

    Its ``locations=['mmaction.mmengine']`` names a module that does not
    exist, so the first lookup through that node or a child of it (such as
    ``mmcpsp``'s FUNCTIONS, where ``avel_collate`` lives) raises
    ModuleNotFoundError. Locations that cannot be imported are dropped (so
    nothing changes where they all exist); mmaction's functions are
    registered by :func:`register_mmaction_modules`.
    """
    from mmaction.registry import FUNCTION
    FUNCTION._locations = [
        location for location in FUNCTION._locations
        if importlib.util.find_spec(location) is not None
    ]


def register_collate_in_root() -> None:
    """Fix 8: the runner looks collate functions up in the root registry.

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


_REGISTRY_PREFIX = re.compile(r'class `[^`]+` in [^:\s]+: ')


def unwrap_registry_error(message: str) -> str:
    """Fix 9: strip the "class `X` in module: " prefixes of the registry.

    ``build_from_cfg`` re-raises an error from a constructor with such a
    prefix, once per nesting level; the user needs only the message itself.
    """
    return _REGISTRY_PREFIX.sub('', message)


def apply_all() -> None:
    """Apply every fix of this module; safe to call more than once."""
    add_missing_drn_module()
    use_safe_checkpoint_loader()
    fix_cpu_distributed_init()
    register_cpu_ddp_wrapper()
    register_mmaction_modules()
    fix_mmaction_function_registry()
    register_collate_in_root()
