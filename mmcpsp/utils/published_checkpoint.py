"""Published checkpoints: the weights and what inference needs, named by
their hash.

OpenMMLab's convention (the ``publish_model.py`` of MMAction2 and
MMDetection): a published file is named ``NAME-XXXXXXXX.pth``, where
``XXXXXXXX`` are the first 8 hex digits of the SHA-256 of the file itself,
so that whoever holds it can tell it is the file that was published.
Every checkpoint load of mmcpsp checks such a name
(:func:`mmcpsp.utils.checkpoint.check_hash`, called by
:func:`~mmcpsp.utils.checkpoint.load_checkpoint_file`, so by
``init_localizer``, ``tools/test.py`` and ``load_from``);
``tools/model_converters/publish_model.py`` and
``SafeCheckpointHook(published_keys=...)`` write such files
(:func:`save_published`), whole or not at all.
"""
import hashlib
import io
import os
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from .fileio import atomic_write

#: The top-level keys a published checkpoint keeps: the weights, and the
#: meta that inference reads (the config in ``cfg``, the class names in
#: ``dataset_meta``). Optimizer, message hub and schedulers only resume.
PUBLISHED_KEYS = ('meta', 'state_dict')
#: ``-`` and 8 lowercase hex digits before ``.pth``, at the end of a name.
HASH_IN_NAME = re.compile(r'-([0-9a-f]{8})\.pth$')
_CHUNK = 1 << 20


def sha256_of(path: str) -> str:
    """The SHA-256 of a file, as 64 lowercase hex digits."""
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def hash_in_name(path: str) -> Optional[str]:
    """The 8 hex digits of a published file's name, or None.

    ``cpsp_fully_ave-1a2b3c4d.pth`` -> ``'1a2b3c4d'``; ``epoch_3.pth`` ->
    None.
    """
    found = HASH_IN_NAME.search(osp.basename(os.fspath(path)))
    return found.group(1) if found else None


def published_path(out_path: str, sha256: str) -> str:
    """``name.pth`` (or ``name``) -> ``name-<sha256[:8]>.pth``."""
    stem = out_path[:-len('.pth')] if out_path.endswith('.pth') else out_path
    return f'{stem}-{sha256[:8]}.pth'


def strip_for_publishing(
        checkpoint: Dict[str, Any],
        keys: Sequence[str] = PUBLISHED_KEYS) -> Tuple[dict, List[str]]:
    """Keep the top-level ``keys`` of a checkpoint.

    Args:
        checkpoint (dict): A loaded checkpoint.
        keys (Sequence[str]): What to keep. Defaults to
            :data:`PUBLISHED_KEYS`.

    Returns:
        tuple: The kept checkpoint, and the names of the keys dropped.
    """
    kept = {key: value for key, value in checkpoint.items() if key in keys}
    return kept, [key for key in checkpoint if key not in keys]


def save_published(checkpoint: Dict[str, Any],
                   out_path: str,
                   backend: Optional[Any] = None) -> str:
    """Write ``checkpoint`` as ``out_path`` with its hash in the name.

    The file is serialised in memory, hashed, and written once through
    :func:`~mmcpsp.utils.atomic_write` (or ``backend.put``, an MMEngine file
    backend such as ``'atomic_local'``): a process killed during the write
    leaves no file under the published name.

    Args:
        checkpoint (dict): What to save (see :func:`strip_for_publishing`).
        out_path (str): ``name.pth``; the file becomes
            ``name-<sha256[:8]>.pth``.
        backend (optional): An MMEngine file backend to write with.
            Defaults to None (a local atomic write).

    Returns:
        str: The published path.
    """
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    data = buffer.getvalue()
    final_path = published_path(out_path, hashlib.sha256(data).hexdigest())
    if backend is not None:
        backend.put(data, final_path)
        return final_path
    with atomic_write(final_path, 'wb') as file:
        file.write(data)
    return final_path
