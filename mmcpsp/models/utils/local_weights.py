"""Load published weight files from a local path, strictly and safely."""
import os.path as osp
import pickle
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn as nn


def load_local_weights(module: nn.Module,
                       path: str,
                       drop_prefixes: Sequence[str] = (),
                       select_prefix: Optional[str] = None,
                       rename: Optional[Callable[[str], str]] = None) -> None:
    """Load a state-dict file into ``module``; every key must match.

    The file is read with ``weights_only=True`` (a published weight file is
    a plain dict of tensors, so nothing in it can run code). Keys starting
    with one of ``drop_prefixes`` are left out on purpose (e.g. the
    classifier of an ImageNet network used as a feature extractor); any
    other missing or unexpected key, or a shape mismatch, raises.

    Args:
        module (nn.Module): The module to fill.
        path (str): A ``.pth`` file holding a state dict, or a checkpoint
            whose ``'state_dict'`` entry is one.
        drop_prefixes (Sequence[str]): Key prefixes to leave out.
            Defaults to ().
        select_prefix (str, optional): When some keys start with it (e.g.
            ``'backbone.'`` in an MMAction2 checkpoint), load only those,
            without it; a file without such keys loads as it is. Defaults
            to None.
        rename (Callable[[str], str], optional): Maps each kept key of the
            file to the module's name for it (e.g.
            :data:`~mmcpsp.models.utils.torchvision_keys.torchvision_resnet_key`),
            applied after ``drop_prefixes``. Defaults to None (the file's
            names).

    Raises:
        FileNotFoundError: When ``path`` is not a file.
        RuntimeError: When keys or shapes do not match, naming them.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: no such weight file (weights are read from local '
            'paths only; see tools/data/README.md for where to get them)')
    try:
        state_dict = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        raise RuntimeError(
            f'{path} holds objects other than tensors, which are not '
            'unpickled (they could run code): save its state_dict alone '
            f'(torch.save(checkpoint["state_dict"], ...)). {error}') from None
    if 'state_dict' in state_dict:
        state_dict = state_dict['state_dict']
    if select_prefix and any(key.startswith(select_prefix)
                             for key in state_dict):
        state_dict = {
            key[len(select_prefix):]: value
            for key, value in state_dict.items()
            if key.startswith(select_prefix)
        }
    kept = {
        key if rename is None else rename(key): value
        for key, value in state_dict.items()
        if not any(key.startswith(prefix) for prefix in drop_prefixes)
    }
    try:
        module.load_state_dict(kept, strict=True)
    except RuntimeError as error:
        raise RuntimeError(
            f'{path} does not fit {type(module).__name__}: {error}') from None


class LocalWeightsMixin:
    """For a backbone of an upstream library (mmcv, MMAction2) that takes a
    published weight file from a local path.

    :meth:`init_weights` loads ``self.weight_file`` strictly with the
    class's ``weight_rename`` and ``weight_drop_prefixes`` (see
    :func:`load_local_weights`), or keeps the library's own initialisation
    when it is None; :meth:`train` returns the module (mmcv's VGG and
    MMAction2's ResNets return None, which breaks ``model.eval()``
    chaining). List it before the library's class.
    """
    weight_file: Optional[str] = None
    #: Keys of the file to leave out (a classifier).
    weight_drop_prefixes: Tuple[str, ...] = ()
    #: File key -> module key; wrap a function in ``staticmethod``.
    weight_rename: Optional[Callable[[str], str]] = None

    def init_weights(self) -> None:
        """Load ``weight_file`` when given (the library's initialisation
        otherwise)."""
        if self.weight_file is None:
            super().init_weights()
            return
        load_local_weights(self, self.weight_file,
                           drop_prefixes=self.weight_drop_prefixes,
                           rename=self.weight_rename)

    def train(self, mode: bool = True) -> nn.Module:
        """Set the training mode; returns the module."""
        super().train(mode)
        return self
