"""Progress of long tools: one library (mmengine's bar) for all of them."""
import sys
import time
from typing import IO, Iterable, Iterator, Optional, TypeVar

from mmengine.utils import ProgressBar

Item = TypeVar('Item')


def _is_terminal(stream: IO) -> bool:
    isatty = getattr(stream, 'isatty', None)
    return bool(isatty and isatty())


def format_rate(count: int, seconds: float, unit: str) -> str:
    """``'1,234 videos in 5.6 s (220.4 videos/s)'``, or the seconds per
    item when under one a second (``'2 videos in 172.6 s (86.3 s each)'``).
    """
    rate = count / seconds if seconds > 0 else float('inf')
    if 0 < rate < 1:
        return f'{count:,} {unit} in {seconds:.1f} s ({1 / rate:.1f} s each)'
    return f'{count:,} {unit} in {seconds:.1f} s ({rate:.1f} {unit}/s)'


class Progress:
    """Count work done, with rate and ETA on a terminal, quiet in logs.

    On a terminal, mmengine's :class:`~mmengine.utils.ProgressBar` shows
    the count, the rate and the ETA, redrawn in place. When ``stream`` is
    not a terminal (a log file, CI), nothing is drawn: one line is written
    when the work ends, with the count, the time and the rate, so a log
    holds a summary instead of thousands of redraws.

    Args:
        total (int): Number of items expected; 0 when unknown.
        description (str): What is being done, e.g. ``'Verifying'``.
        unit (str): Name of one item in the summary. Defaults to 'items'.
        stream (IO, optional): Where to write. Defaults to None, meaning
            ``sys.stderr``.
        enabled (bool, optional): Draw the bar. Defaults to None, meaning
            whether ``stream`` is a terminal.
        summary (bool): Write the summary line at the end. Defaults to
            True; with ``enabled=False`` as well, nothing is written.
    """

    def __init__(self,
                 total: int,
                 description: str,
                 unit: str = 'items',
                 stream: Optional[IO] = None,
                 enabled: Optional[bool] = None,
                 summary: bool = True) -> None:
        self.summary = summary
        self.total = int(total)
        self.description = description
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = (_is_terminal(self.stream)
                        if enabled is None else enabled)
        self.completed = 0
        self._start = time.perf_counter()
        self._bar = None
        if self.enabled:
            self.stream.write(f'{description}: ')
            self._bar = ProgressBar(self.total, file=self.stream)

    def update(self, count: int = 1) -> None:
        """Record ``count`` more items done."""
        if count <= 0:
            return
        self.completed += count
        if self._bar is not None:
            self._bar.update(count)

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self._start

    def status(self) -> str:
        """``'2/3 runs, 310 s elapsed, ETA 155 s'``: for tools whose
        work prints its own output, where a redrawn bar would not read."""
        elapsed = self.elapsed
        text = f'{self.completed}/{self.total} {self.unit}, ' \
            f'{elapsed:.0f} s elapsed'
        if 0 < self.completed < self.total:
            eta = elapsed * (self.total - self.completed) / self.completed
            text += f', ETA {eta:.0f} s'
        return text

    def close(self) -> None:
        """End the bar and write the summary line."""
        if self._bar is not None:
            self.stream.write('\n')
        if self.summary:
            self.stream.write(
                f'{self.description}: '
                f'{format_rate(self.completed, self.elapsed, self.unit)}\n')
        self.stream.flush()

    def __enter__(self) -> 'Progress':
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        elif self._bar is not None:
            self.stream.write('\n')


def track(iterable: Iterable[Item],
          total: int,
          description: str,
          unit: str = 'items',
          stream: Optional[IO] = None,
          enabled: Optional[bool] = None,
          summary: bool = True) -> Iterator[Item]:
    """Yield the items of ``iterable`` while showing a :class:`Progress`
    (arguments as there)."""
    with Progress(total, description, unit, stream, enabled,
                  summary) as progress:
        for item in iterable:
            yield item
            progress.update()
