"""The errors of the data path: bad dataset files, too little memory."""
from typing import Any, Callable, Optional


class DataValidationError(ValueError):
    """A dataset file is not as the distributed dataset describes it.

    The message names the file, the key or row, what was expected and what
    was found, e.g.::

        data/ave/labels.h5: key 'avadataset', row 17: expected a one-hot
        row over 29 columns, found 2 columns set

    ``tools/train.py`` and ``tools/test.py`` print it alone, without a
    traceback, and exit with status 2. Given only its first argument, the
    error carries that text as its whole message.
    """

    def __init__(self,
                 path: str,
                 expected: Optional[str] = None,
                 found: Any = None,
                 key: Optional[str] = None,
                 row: Optional[Any] = None) -> None:
        self.path = str(path)
        self.key = key
        self.row = row
        self.expected = expected
        self.found = found
        if expected is None:
            # A finished message: how DataLoader workers re-raise errors.
            super().__init__(self.path)
            return
        where = [self.path]
        if key is not None:
            where.append(f'key {key!r}')
        if row is not None:
            where.append(f'row {row}')
        super().__init__(
            f'{", ".join(where)}: expected {expected}, found {found}')


#: Receives each problem of a file instead of raising it (the verify tools
#: list every problem); None raises the first.
ProblemHandler = Optional[Callable[[DataValidationError], None]]


def report_problem(error: DataValidationError,
                   on_problem: ProblemHandler) -> None:
    """Raise ``error``, or hand it to ``on_problem`` when one is given."""
    if on_problem is None:
        raise error
    on_problem(error)


class InsufficientMemoryError(MemoryError):
    """A split asked to be preloaded does not fit where it was asked to go.

    Raised before anything is allocated, with the size the split needs,
    the memory available and what to change; ``tools/train.py`` and
    ``tools/test.py`` print it alone, as they print
    :class:`DataValidationError`.
    """
