"""Progress of the long steps of an inference, for a console or a page."""
from typing import Callable, Optional

#: Called as ``progress(stage, done, total)``: ``done`` of ``total`` steps
#: of ``stage`` (one of the stage names below) are finished.
ProgressCallback = Callable[[str, int, int], None]

#: Decoding a video into frames and audio.
DECODING = 'decoding'
#: Running VGGish and VGG-19 on the decoded video (features models).
EXTRACTING = 'extracting features'
#: Running the model over the windows of the input.
WINDOWS = 'windows'


def report(progress: Optional[ProgressCallback], stage: str, done: int,
           total: int) -> None:
    """Tell ``progress``, when given, that ``done`` of ``total`` steps of
    ``stage`` are finished."""
    if progress is not None:
        progress(stage, done, total)
