"""The HDF5 files of the AVE release: names, shapes, reading and checks.

Each check raises :class:`DataValidationError` naming the file, the key or
row, what was expected and what was found. :class:`AVEDataset` runs them
before training; ``tools/data/ave/verify.py`` runs all of them and reports
every failure.
"""
import itertools
import os
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np

from ..constants import NUM_SEGMENTS, SPLITS
from ..errors import DataValidationError
from ..h5_utils import (
    DEFAULT_BLOCK_BYTES,
    check_dataset_finite,
    check_dtype,
    check_shape,
    get_dataset,
    open_h5,
    read_all,
)
from ..validation import one_hot_indices
from .annotations import ANNOTATION_FILE, AVEAnnotations

FEATURE_KEY = 'avadataset'
ORDER_KEY = 'order'
AUDIO_ROW_SHAPE = (NUM_SEGMENTS, 128)
VISUAL_ROW_SHAPE = (NUM_SEGMENTS, 7, 7, 512)

AUDIO_FILE = 'audio_feature.h5'
VISUAL_FILE = 'visual_feature.h5'
#: Segment label files in order of preference (PSP/CPSP name the same
#: content right_labels.h5).
SEGMENT_LABEL_FILES = ('labels.h5', 'right_labels.h5')
VIDEO_LABEL_FILE = 'mil_labels.h5'
EVENT_MASK_FILE = 'labels_closs.h5'
PROB_LABEL_FILE = 'prob_label.h5'
NOISY_AUDIO_FILE = 'audio_feature_noisy.h5'
NOISY_VISUAL_FILE = 'visual_feature_noisy.h5'
NOISY_LABEL_FILE = 'labels_noisy.h5'
NOISY_FILES = (NOISY_AUDIO_FILE, NOISY_VISUAL_FILE, NOISY_LABEL_FILE)


def order_file(split: str) -> str:
    """Name of the order file of a split, e.g. ``train_order.h5``."""
    return f'{split}_order.h5'


ROWS_NOTE = f'one per video of {ANNOTATION_FILE}'


def check_num_rows(num_found: int,
                   num_rows: Optional[int],
                   path: str,
                   key: str,
                   rows_note: str = ROWS_NOTE) -> None:
    """Check that a file has ``num_rows`` rows (any when None)."""
    if num_rows is not None and num_found != num_rows:
        raise DataValidationError(path, f'{num_rows} rows, {rows_note}',
                                  f'{num_found} rows', key=key)


def read_order(path: str, num_rows: Optional[int]) -> np.ndarray:
    """Read and check an order file: 1-D integers, in range, no repeats.

    Returns:
        np.ndarray: int64 [M], row indices.
    """
    with open_h5(path) as h5_file:
        dataset = get_dataset(h5_file, ORDER_KEY, path)
        check_shape(dataset, (None, ), path, ORDER_KEY, 'a 1-D index list')
        check_dtype(dataset, 'iu', path, ORDER_KEY, 'integer row indices')
        order = read_all(dataset, path, ORDER_KEY).astype(np.int64)
    if num_rows is not None:
        outside = (order < 0) | (order >= num_rows)
        if outside.any():
            position = int(np.argmax(outside))
            raise DataValidationError(
                path, f'row indices in [0, {num_rows}) (one row per video '
                f'of {ANNOTATION_FILE})', f'{order[position]}',
                key=ORDER_KEY, row=position)
    values, first_positions, counts = np.unique(
        order, return_index=True, return_counts=True)
    if (counts > 1).any():
        repeated = int(np.argmax(counts > 1))
        raise DataValidationError(
            path, 'each row index at most once',
            f'row index {values[repeated]} {counts[repeated]} times',
            key=ORDER_KEY, row=int(first_positions[repeated]))
    return order


def check_orders_disjoint(
        orders: Mapping[str, Tuple[str, np.ndarray]]) -> None:
    """Check that no row index is in two splits.

    Args:
        orders (Mapping[str, tuple[str, np.ndarray]]): split -> (path,
            order).
    """
    for (_, (path_a, order_a)), (_, (path_b, order_b)) in \
            itertools.combinations(orders.items(), 2):
        shared = np.intersect1d(order_a, order_b)
        if shared.size:
            position = int(np.flatnonzero(order_b == shared[0])[0])
            raise DataValidationError(
                path_b, f'row indices disjoint from those of {path_a}',
                f'{shared.size} shared row index(es), e.g. {shared[0]}',
                key=ORDER_KEY, row=position)


def check_orders_cover(orders: Mapping[str, Tuple[str, np.ndarray]],
                       num_rows: int) -> None:
    """Check that the splits together hold every row."""
    covered = np.zeros(num_rows, dtype=bool)
    for _, order in orders.values():
        covered[order] = True
    if not covered.all():
        missing = np.flatnonzero(~covered)
        paths = ', '.join(path for path, _ in orders.values())
        raise DataValidationError(
            paths, f'the splits together to hold all {num_rows} rows',
            f'{missing.size} row(s) in no split, e.g. row {missing[0]}',
            key=ORDER_KEY)


def check_feature_file(path: str,
                       row_shape: Sequence[int],
                       num_rows: Optional[int],
                       check_values: bool,
                       rows_note: str = ROWS_NOTE,
                       max_bytes: int = DEFAULT_BLOCK_BYTES,
                       show_progress: bool = False
                       ) -> Tuple[Tuple[int, ...], np.dtype]:
    """Check a feature file: key, shape, floating dtype and, when
    ``check_values``, finiteness in one streaming pass.

    Args:
        path (str): The file.
        row_shape (Sequence[int]): Shape of one row (video).
        num_rows (int | None): Expected number of rows, None for any.
        check_values (bool): Stream the values to find NaN or infinity.
        rows_note (str): Why ``num_rows`` rows are expected, for the
            message. Defaults to one per video of Annotations.txt.
        max_bytes (int): Memory bound of the streaming pass.
        show_progress (bool): Show the progress of the value pass. Defaults
            to False.

    Returns:
        tuple: The dataset's shape and dtype.
    """
    with open_h5(path) as h5_file:
        dataset = get_dataset(h5_file, FEATURE_KEY, path)
        check_shape(dataset, (None, ) + tuple(row_shape), path, FEATURE_KEY)
        check_num_rows(dataset.shape[0], num_rows, path, FEATURE_KEY,
                       rows_note)
        check_dtype(dataset, 'f', path, FEATURE_KEY, 'floating-point values')
        if check_values:
            check_dataset_finite(dataset, path, FEATURE_KEY, max_bytes,
                                 show_progress)
        return dataset.shape, dataset.dtype


def _read_labels(path: str, shape: Sequence[Optional[int]],
                 num_rows: Optional[int]) -> np.ndarray:
    with open_h5(path) as h5_file:
        dataset = get_dataset(h5_file, FEATURE_KEY, path)
        check_shape(dataset, shape, path, FEATURE_KEY)
        check_num_rows(dataset.shape[0], num_rows, path, FEATURE_KEY)
        check_dtype(dataset, 'fiub', path, FEATURE_KEY, 'numeric labels')
        return read_all(dataset, path, FEATURE_KEY)


def check_categories(annotations: AVEAnnotations, num_columns: int,
                     label_path: str) -> None:
    """Check that Annotations.txt has one category per event column."""
    num_events = num_columns - 1
    if annotations.num_classes > num_events:
        row = int(np.argmax(annotations.class_indices >= num_events))
        name = annotations.categories[annotations.class_indices[row]]
        raise DataValidationError(
            annotations.path, f'one of the {num_events} categories that '
            f'{label_path} has event columns for',
            f'unknown category {name!r} (category number '
            f'{annotations.num_classes} of the file)',
            row=annotations.where(row))
    if annotations.num_classes < num_events:
        raise DataValidationError(
            annotations.path, f'{num_events} categories, one per event '
            f'column of {label_path}', f'{annotations.num_classes}')


def _check_rows_match(annotations: AVEAnnotations, classes: np.ndarray,
                      mismatch: np.ndarray, label_path: str) -> None:
    # Compared row by row before counting categories, so that a misspelt
    # or unknown category is reported on its own line rather than on the
    # line of a later category whose index it shifted.
    if mismatch.any():
        row = int(np.argmax(mismatch))
        own = annotations.class_indices[row]
        expected = int(classes[row])
        if expected < annotations.num_classes:
            expected_name = (
                f', first seen as {annotations.categories[expected]!r}')
        else:
            expected_name = ''
        raise DataValidationError(
            annotations.path,
            f'the category of {label_path} row {row} (class index '
            f'{expected}{expected_name})',
            f'{annotations.categories[own]!r} (class index {own} by order '
            'of first appearance)',
            row=annotations.where(row))


def read_segment_labels(path: str,
                        annotations: Optional[AVEAnnotations]) -> np.ndarray:
    """Read labels.h5 / right_labels.h5 [N, T, C + 1] and check it.

    Every segment must be one-hot, the file must have a column per
    category of Annotations.txt plus background, and the event segments of
    a row must carry that row's category.

    Returns:
        np.ndarray: int64 [N, T], class index per segment, background = C.
    """
    num_rows = annotations.num_rows if annotations else None
    labels = _read_labels(path, (None, NUM_SEGMENTS, None), num_rows)
    indices = one_hot_indices(labels, path, FEATURE_KEY, 'segment')
    if annotations is not None:
        background = labels.shape[-1] - 1
        mismatch = ((indices != background) &
                    (indices != annotations.class_indices[:, None]))
        video_classes = np.where(mismatch, indices, -1).max(axis=1)
        _check_rows_match(annotations, video_classes, mismatch.any(axis=1),
                          path)
        check_categories(annotations, labels.shape[-1], path)
    return indices


def read_video_labels(path: str,
                      annotations: Optional[AVEAnnotations]) -> np.ndarray:
    """Read mil_labels.h5 [N, C + 1] and check it: one-hot, never the
    background column, and the category of Annotations.txt on every row.

    Returns:
        np.ndarray: int64 [N], class index per video.
    """
    num_rows = annotations.num_rows if annotations else None
    labels = _read_labels(path, (None, None), num_rows)
    indices = one_hot_indices(labels, path, FEATURE_KEY)
    background = labels.shape[-1] - 1
    if (indices == background).any():
        row = int(np.argmax(indices == background))
        raise DataValidationError(
            path, f'a video label on one of the {background} event columns',
            f'the background column {background} set', key=FEATURE_KEY,
            row=row)
    if annotations is not None:
        _check_rows_match(annotations, indices,
                          indices != annotations.class_indices, path)
        check_categories(annotations, labels.shape[-1], path)
    return indices


def read_noisy_labels(path: str, num_classes: Optional[int]) -> int:
    """Check labels_noisy.h5 [M, C + 1]: every row one-hot on background.

    Returns:
        int: M, the number of background-only videos.
    """
    num_columns = None if num_classes is None else num_classes + 1
    labels = _read_labels(path, (None, num_columns), None)
    indices = one_hot_indices(labels, path, FEATURE_KEY)
    background = labels.shape[-1] - 1
    if (indices != background).any():
        row = int(np.argmax(indices != background))
        raise DataValidationError(
            path, f'the background column {background} set (videos '
            'without an event)', f'column {indices[row]} set',
            key=FEATURE_KEY, row=row)
    return len(labels)


def check_event_mask(path: str, annotations: Optional[AVEAnnotations]) -> None:
    """Check labels_closs.h5 [N, T]: 0/1 values equal to the event spans."""
    num_rows = annotations.num_rows if annotations else None
    mask = _read_labels(path, (None, NUM_SEGMENTS), num_rows)
    binary = (mask == 0) | (mask == 1)
    if not binary.all():
        row = int(np.argmax(~binary.all(axis=1)))
        raise DataValidationError(path, 'values 0 or 1', mask[row],
                                  key=FEATURE_KEY, row=row)
    if annotations is not None:
        differs = (mask == 1) != annotations.event_mask()
        if differs.any():
            row = int(np.argmax(differs.any(axis=1)))
            raise DataValidationError(
                path, 'the event span of '
                f'{annotations.where(row)} of {annotations.path}: '
                f'{annotations.event_mask()[row].astype(int)}',
                mask[row].astype(int), key=FEATURE_KEY, row=row)


def check_prob_labels(path: str,
                      annotations: Optional[AVEAnnotations]) -> np.ndarray:
    """Read and check prob_label.h5 [N, C + 1]: finite values in [0, 1].

    Returns:
        np.ndarray: The normalised weak labels [N, C + 1].
    """
    num_rows = annotations.num_rows if annotations else None
    num_columns = annotations.num_classes + 1 if annotations else None
    probs = _read_labels(path, (None, num_columns), num_rows)
    valid = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
    if not valid.all():
        row = int(np.argmax(~valid.all(axis=1)))
        raise DataValidationError(path, 'finite values in [0, 1]',
                                  probs[row][~valid[row]][0],
                                  key=FEATURE_KEY, row=row)
    return probs


def find_segment_label_file(data_root: str) -> Optional[str]:
    """The first of labels.h5, right_labels.h5 present, else None."""
    for name in SEGMENT_LABEL_FILES:
        path = os.path.join(data_root, name)
        if os.path.exists(path):
            return path
    return None


def segment_labels_of(data_root: str,
                      annotations: AVEAnnotations) -> np.ndarray:
    """The segment labels of every row: from labels.h5 / right_labels.h5
    when present (checked against Annotations.txt), else built from the
    annotated spans.

    Returns:
        np.ndarray: int64 [N, T], class index per segment, background = C.
    """
    label_path = find_segment_label_file(data_root)
    if label_path is None:
        return annotations.segment_labels()
    return read_segment_labels(label_path, annotations)


def read_split_order(data_root: str, split: str,
                     num_rows: Optional[int]) -> np.ndarray:
    """The rows of one split, from its ``{split}_order.h5``.

    The three order files are read and checked together: integer rows in
    range, none repeated, none in two splits.

    Returns:
        np.ndarray: int64 [M], the split's rows.
    """
    orders = {}
    for name in SPLITS:
        path = os.path.join(data_root, order_file(name))
        orders[name] = (path, read_order(path, num_rows))
    check_orders_disjoint(orders)
    return orders[split][1]
