import os
from typing import Optional, Tuple


class ProcessLocalState:
    """Mixin for transforms holding file handles and buffers per process.

    Such state must not cross a process boundary: handles inherited through
    fork belong to the parent, and open HDF5 files cannot be pickled (to
    spawned workers). A subclass names its per-process attributes in
    ``_process_local``, creates them in :meth:`_reset_process_state`, and
    calls :meth:`_check_process` before using them: a process (DataLoader
    worker) that did not create them starts afresh and opens its own.
    Pickling leaves them out; unpickling recreates them empty.
    """

    #: Names of the attributes made by :meth:`_reset_process_state`.
    _process_local: Tuple[str, ...] = ()

    def _reset_process_state(self) -> None:
        raise NotImplementedError

    def _start_process_state(self) -> None:
        self._pid: Optional[int] = None
        self._reset_process_state()

    def _check_process(self) -> None:
        if self._pid != os.getpid():
            self._reset_process_state()
            self._pid = os.getpid()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in ('_pid', ) + self._process_local:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._start_process_state()
