"""An MMEngine file backend whose writes replace files atomically."""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from mmcpsp.utils import atomic_write

ATOMIC_LOCAL_BACKEND = 'atomic_local'


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose files are either whole or absent.

    MMEngine's ``LocalBackend.put`` opens the target with ``'wb'`` and
    writes into it, so a process killed, or a disk that fills, during a save
    leaves a truncated ``epoch_N.pth``. Here a write goes through
    :func:`mmcpsp.utils.atomic_write`: a temporary file in the same folder,
    with the mode a plain ``open`` would give, renamed over the target once
    complete and removed if the write fails. It is registered as the file
    backend ``'atomic_local'``, which :class:`SafeCheckpointHook` uses for
    local folders; every other caller keeps MMEngine's backend.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath``, all or nothing."""
        with atomic_write(str(filepath), 'wb') as file:
            file.write(obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write the text ``obj`` to ``filepath``, all or nothing."""
        with atomic_write(str(filepath), 'w', encoding=encoding) as file:
            file.write(obj)


register_backend(ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, force=True)
