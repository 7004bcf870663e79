"""Annotations.txt of the AVE release: the categories and the event spans.

Class indices follow the canonical order of the 28 AVE categories (first
appearance in the full release's Annotations.txt), whatever subset of the
release a folder holds, so labels sliced from the released files keep
their meaning.
"""
import math
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..constants import NUM_SEGMENTS
from ..errors import DataValidationError

#: The 28 AVE categories, in order of first appearance in the full
#: release's Annotations.txt: the position is the class index.
AVE_CATEGORIES = (
    'Church bell', 'Male speech, man speaking', 'Bark',
    'Fixed-wing aircraft, airplane', 'Race car, auto racing',
    'Female speech, woman speaking', 'Helicopter', 'Violin, fiddle', 'Flute',
    'Ukulele', 'Frying (food)', 'Truck', 'Shofar', 'Motorcycle',
    'Acoustic guitar', 'Train horn', 'Clock', 'Banjo', 'Goat',
    'Baby cry, infant cry', 'Bus', 'Chainsaw', 'Cat', 'Horse',
    'Toilet flush', 'Rodents, rats, mice', 'Accordion', 'Mandolin')

ANNOTATION_FILE = 'Annotations.txt'
ANNOTATION_FIELDS = ('Category', 'VideoID', 'Quality', 'StartTime',
                     'EndTime')


@dataclass(frozen=True)
class AVEAnnotations:
    """The parsed lines of Annotations.txt, one per video (HDF5 row).

    Attributes:
        path (str): The file.
        categories (tuple[str]): Category names; the position is the class
            index (the known categories when parsing was given them, else
            the order of first appearance in the file).
        video_ids (tuple[str]): YouTube id per row.
        class_indices (np.ndarray): int64 [N], class index per row.
        spans (np.ndarray): int64 [N, 2], event [start, end) in seconds
            (float64 when parsed with ``strict=False``).
        header_lines (int): 1 when the file starts with a header line.
    """
    path: str
    categories: Tuple[str, ...]
    video_ids: Tuple[str, ...]
    class_indices: np.ndarray
    spans: np.ndarray
    header_lines: int

    @property
    def num_rows(self) -> int:
        return len(self.video_ids)

    @property
    def num_classes(self) -> int:
        return len(self.categories)

    def span_of(self, row: int) -> Tuple[str, float, float]:
        """The event of one row: ``(category, start s, end s)``."""
        return (self.categories[self.class_indices[row]],
                float(self.spans[row, 0]), float(self.spans[row, 1]))

    def spans_of(self, video_id: str) -> List[Tuple[str, float, float]]:
        """The events of one video: :meth:`span_of` every row naming it, in
        file order (empty when none does)."""
        return [self.span_of(row) for row, name in enumerate(self.video_ids)
                if name == video_id]

    def where(self, row: int) -> str:
        """The row and its line number, for messages."""
        return f'{row} (line {row + 1 + self.header_lines})'

    def event_mask(self) -> np.ndarray:
        """bool [N, T]: segments inside the annotated event."""
        seconds = np.arange(NUM_SEGMENTS)
        return ((seconds >= self.spans[:, :1]) &
                (seconds < self.spans[:, 1:]))

    def segment_labels(self) -> np.ndarray:
        """int64 [N, T]: class index inside the event, C elsewhere."""
        return np.where(self.event_mask(), self.class_indices[:, None],
                        self.num_classes).astype(np.int64)


def _read_lines(path: str) -> list:
    layout = '&'.join(ANNOTATION_FIELDS)
    if not os.path.isfile(path):
        raise DataValidationError(path, f'an annotation file ({layout})',
                                  'no such file')
    try:
        with open(path, encoding='utf-8-sig') as file:
            lines = file.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataValidationError(path, 'a readable UTF-8 text file',
                                  str(exc)) from None
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def parse_annotations(path: str,
                      known_categories: Optional[Sequence[str]] = None,
                      strict: bool = True) -> AVEAnnotations:
    """Parse Annotations.txt (``Category&VideoID&Quality&StartTime&EndTime``
    a line, with or without a header line).

    Args:
        path (str): The file.
        known_categories (Sequence[str], optional): The categories a line
            may name, in class-index order (e.g. :data:`AVE_CATEGORIES`):
            a category's index is its position there, whichever of them
            the file holds. None accepts any category and numbers them by
            first appearance. Defaults to None.
        strict (bool): The AVE release's rules: integer times with
            0 <= start <= end <= 10. False reads a user's own annotation
            file of the same layout for videos of any length: times are
            any numbers of seconds with 0 <= start <= end, and a video may
            have several lines (one per event). Defaults to True.

    Raises:
        DataValidationError: When the file is missing, or a line does not
            have five fields, times as above or a known category.
    """
    lines = _read_lines(path)
    header_lines = int(bool(lines) and tuple(
        field.strip() for field in lines[0].split('&')) == ANNOTATION_FIELDS)
    categories: Dict[str, int] = {}
    if known_categories is not None:
        categories = {name: index
                      for index, name in enumerate(known_categories)}
    layout = '&'.join(ANNOTATION_FIELDS)
    time_type, time_name = (int, 'integer') if strict else (float, 'numeric')
    last_time = NUM_SEGMENTS if strict else math.inf
    video_ids, class_indices, spans = [], [], []
    for row, line in enumerate(lines[header_lines:]):
        where = f'{row} (line {row + 1 + header_lines})'
        fields = [field.strip() for field in line.split('&')]
        if len(fields) != len(ANNOTATION_FIELDS) or not fields[0]:
            raise DataValidationError(path, f'a line {layout}',
                                      repr(line), row=where)
        try:
            start, end = time_type(fields[3]), time_type(fields[4])
        except ValueError:
            raise DataValidationError(
                path, f'{time_name} StartTime and EndTime',
                f'{fields[3]!r} and {fields[4]!r}', row=where) from None
        if not 0 <= start <= end <= last_time:
            bound = f' <= {NUM_SEGMENTS}' if strict else ''
            raise DataValidationError(
                path, f'0 <= StartTime <= EndTime{bound}',
                f'StartTime {start}, EndTime {end}', row=where)
        if known_categories is not None and fields[0] not in categories:
            raise DataValidationError(
                path, f'one of the {len(known_categories)} known categories',
                f'unknown category {fields[0]!r}', row=where)
        video_ids.append(fields[1])
        class_indices.append(
            categories.setdefault(fields[0], len(categories)))
        spans.append((start, end))
    if not video_ids:
        raise DataValidationError(path, 'at least one annotation line',
                                  'none')
    return AVEAnnotations(
        path=path,
        categories=tuple(categories),
        video_ids=tuple(video_ids),
        class_indices=np.asarray(class_indices, dtype=np.int64),
        spans=np.asarray(spans, dtype=np.int64 if strict else np.float64),
        header_lines=header_lines)


def known_categories(classes: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """The categories a folder's Annotations.txt may name, in class-index
    order: ``classes`` (e.g. ``metainfo['classes']``) when given, without
    background, else the 28 of AVE."""
    return tuple(name for name in (classes or AVE_CATEGORIES)
                 if name != 'background')
