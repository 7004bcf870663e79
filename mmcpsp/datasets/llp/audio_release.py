"""Which release of ``AVVP_eval_audio.csv`` a folder holds.

Two copies circulate (avvp.md section 2.5): the fixed file of HAN
(YapengTian/AVVP-ECCV20 at fde5611, 2024-04-16) and the older copy in
jasongief/CPSP (cpsp_avvp/data/), in which three rows of two test videos
carry bad filenames, so that their events are missing from the test ground
truth. Published numbers before 2024 were computed with the old copy.
The rows tell the two apart (whatever else a copy changed); the SHA-256
says whether a copy is byte-identical to one of them.
"""
from typing import NamedTuple

from .annotations import DenseAnnotations
from .classes import LLP_CLASSES

#: The fixed file of HAN, or a copy holding its three repaired rows.
FIXED = 'fixed'
#: The old copy of the CPSP repo, or one holding any of its bad rows.
OLD = 'old'
#: Neither (not an LLP release file, e.g. a synthetic folder).
OTHER = 'other'

FIXED_SHA256 = (
    'd5435664668bec6e7eafb39059d2f424ed2682f6b55395262fc3cb691b7d0778')
OLD_SHA256 = (
    '249122f65501d8d611c0027a48643798fe622bedee60f7e6224b5a8e3c02f886')


class DifferingRow(NamedTuple):
    """A row the two releases write differently."""
    line: int
    fixed_filename: str
    old_filename: str
    onset: int
    offset: int
    class_name: str


#: The three rows (lines 930, 931, 2449, the header being line 1).
DIFFERING_ROWS = (
    DifferingRow(930, 'JfZEqeLZqWk_30_40', 'Baby_cry_infant_cry', 0, 4,
                 'Speech'),
    DifferingRow(931, 'JfZEqeLZqWk_30_40', 'Baby_cry_infant_cry', 7, 10,
                 'Speech'),
    DifferingRow(2449, 'KvIjsmANkxI_10_20', 'KvIjsmANkxI_10_20`', 0, 1,
                 'Cat'),
)


def _held(annotations: DenseAnnotations, old: bool) -> int:
    """How many of :data:`DIFFERING_ROWS` the file holds, written as in
    the old copy (``old``) or as in the fixed file."""
    rows = {(event.filename, event.onset, event.offset,
             LLP_CLASSES[event.class_index])
            for event in annotations.events}
    return sum((row.old_filename if old else row.fixed_filename, row.onset,
                row.offset, row.class_name) in rows
               for row in DIFFERING_ROWS)


def audio_release(annotations: DenseAnnotations) -> str:
    """:data:`FIXED`, :data:`OLD` or :data:`OTHER` for a parsed audio file.

    A file holding any of the old copy's bad rows is :data:`OLD` (its
    ground truth misses those events); one holding the three repaired
    rows, and no bad one, is :data:`FIXED`.
    """
    if _held(annotations, old=True):
        return OLD
    if _held(annotations, old=False) == len(DIFFERING_ROWS):
        return FIXED
    return OTHER


def describe_audio_release(annotations: DenseAnnotations) -> str:
    """One line saying which audio file ``annotations`` is, for logs."""
    release = audio_release(annotations)
    if release == OTHER:
        return (f'{annotations.path}: not an LLP release file (neither the '
                'repaired rows of HAN nor the bad rows of the CPSP copy)')
    reference = FIXED_SHA256 if release == FIXED else OLD_SHA256
    copy = ('byte-identical to' if annotations.sha256 == reference else
            'an edited copy of')
    if release == FIXED:
        return (f'{annotations.path}: {copy} the fixed audio annotations '
                'of HAN (YapengTian/AVVP-ECCV20 fde5611)')
    return (f'{annotations.path}: {copy} the OLD audio annotations of '
            f'jasongief/CPSP: {_held(annotations, old=True)} of the 3 rows '
            'of test videos JfZEqeLZqWk_30_40 and KvIjsmANkxI_10_20 carry '
            'bad filenames, so those events are missing from the test '
            'ground truth (as in numbers published before 2024); HAN\'s '
            'file at fde5611 fixes them (tools/data/llp/README.md)')
