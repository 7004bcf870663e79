"""The parsing of the REAL LLP annotation files (shared/data/llp_meta)."""
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from mmcpsp.datasets.llp import LLP_CLASSES
from mmcpsp.datasets.llp import annotations as ann
from mmcpsp.datasets.llp.audio_release import (
    DIFFERING_ROWS,
    FIXED,
    OLD,
    OTHER,
    audio_release,
    describe_audio_release,
)


@pytest.fixture(scope='module')
def real(llp_meta_dir):
    """Every real file, parsed."""
    def path(name):
        return os.path.join(llp_meta_dir, name)

    return dict(
        splits={split: ann.parse_weak_labels(path(name))
                for split, name in ann.SPLIT_FILES.items()},
        full=ann.parse_weak_labels(path(ann.FULL_FILE)),
        audio=ann.parse_dense_annotations(path(ann.AUDIO_EVAL_FILE)),
        visual=ann.parse_dense_annotations(path(ann.VISUAL_EVAL_FILE)))


def evaluation_ground_truth(dense_path, filename):
    """GT [25, 10] of one video as the evaluation loop of main_avvp.py
    builds it (pandas, exact filename match, int() and slicing)."""
    table = pd.read_csv(dense_path, header=0, sep='\t')
    rows = table.loc[table['filename'] == filename]
    truth = np.zeros((25, 10))
    for index in rows.index:
        truth[LLP_CLASSES.index(rows['event_labels'][index]),
              int(rows['onset'][index]):int(rows['offset'][index])] = 1
    return truth


def test_counts(real):
    splits = real['splits']
    assert [splits[s].num_videos for s in ('train', 'val', 'test')] == [
        10000, 649, 1200]
    assert real['full'].num_videos == 11849
    assert len(real['audio'].events) == 4131
    assert len(real['visual'].events) == 2495
    sizes = np.bincount([len(c) for c in splits['train'].classes])
    assert sizes.tolist() == [0, 4032, 5879, 89]
    assert max(len(c) for c in splits['val'].classes) == 4
    assert max(len(c) for c in splits['test'].classes) == 7
    # The full file is train, then val, then test, with the same labels.
    assert real['full'].filenames == sum(
        (splits[s].filenames for s in ('train', 'val', 'test')), ())
    assert real['full'].classes == sum(
        (splits[s].classes for s in ('train', 'val', 'test')), ())


def test_coverage_of_the_dense_files(real):
    audio, visual = real['audio'], real['visual']
    val, test = real['splits']['val'], real['splits']['test']
    assert audio.covered(val.filenames) == 645
    assert visual.covered(val.filenames) == 579
    assert audio.covered(test.filenames) == 1195
    assert visual.covered(test.filenames) == 1079
    for weak in (val, test):
        truth_a = audio.ground_truth(weak.filenames)
        truth_v = visual.ground_truth(weak.filenames)
        # Every val/test video has a row in one of the files, and no video
        # is left without any event (no row of it is zero-length only).
        assert (truth_a.any(axis=(1, 2)) | truth_v.any(axis=(1, 2))).all()
        # Val/test videos without audio rows are fine: all-zero GT.
        no_audio = [name for name in weak.filenames
                    if name not in audio.by_filename()]
        assert no_audio
        assert not audio.ground_truth(no_audio).any()


def test_ground_truth_equals_the_evaluation(real, llp_meta_dir):
    """GT of every val/test video equals the authors' loop, transposed."""
    for kind in ('audio', 'visual'):
        dense = real[kind]
        table = pd.read_csv(dense.path, header=0, sep='\t')
        for split in ('val', 'test'):
            filenames = real['splits'][split].filenames
            truth = dense.ground_truth(filenames)
            assert truth.shape == (len(filenames), 10, 25)
            groups = table.groupby('filename').indices
            for row, filename in enumerate(filenames):
                expected = np.zeros((25, 10))
                for index in groups.get(filename, ()):
                    expected[LLP_CLASSES.index(table['event_labels'][index]),
                             int(table['onset'][index]):
                             int(table['offset'][index])] = 1
                np.testing.assert_array_equal(truth[row].T, expected)
    # The groupby above is the evaluation's own selection, checked once.
    np.testing.assert_array_equal(
        real['audio'].ground_truth(['1-VMTJRpjbE_150_160'])[0].T,
        evaluation_ground_truth(real['audio'].path, '1-VMTJRpjbE_150_160'))


def test_ids_are_the_first_11_characters(real):
    filenames = real['full'].filenames
    ids = [ann.video_id_of(name) for name in filenames]
    assert len(set(ids)) == len(set(filenames)) == 11849
    assert sum(video_id.startswith('-') for video_id in ids) == 151
    assert ann.video_id_of('Js8vb6_jjR4_30_40') == 'Js8vb6_jjR4'
    assert 'Js8vb6_jjR4_30_40' in filenames
    assert ann.video_id_of('AP0061o0Nvk_101.8_111.8') == 'AP0061o0Nvk'
    assert 'AP0061o0Nvk_101.8_111.8' in filenames
    assert sum('_' in video_id for video_id in ids) == 1470


def test_zero_length_and_reversed_rows_add_nothing(real):
    audio = real['audio']
    empty = audio.empty_events()
    assert len(empty) == 6
    assert sum(event.onset == event.offset for event in empty) == 5
    reversed_row = [event for event in empty if event.onset > event.offset]
    assert [(e.filename, e.onset, e.offset, LLP_CLASSES[e.class_index])
            for e in reversed_row] == [
                ('8DF2PxdT5tE_390_400', 9, 0, 'Cheering')]
    only_empty = ann.DenseAnnotations(audio.path, tuple(empty), '')
    assert not only_empty.ground_truth(
        [event.filename for event in empty]).any()
    assert not real['visual'].empty_events()


def test_orphan_rows_are_never_looked_up(real):
    every_video = real['full'].filenames
    audio_orphans = real['audio'].orphan_events(every_video)
    assert len(audio_orphans) == 14
    assert len(real['visual'].orphan_events(every_video)) == 11
    assert 'VMTJRpjbE_150_160' in {e.filename for e in audio_orphans}
    # The mangled id's events (Basketball_bounce, Clapping from 3 and 5 s)
    # are not in the real video's ground truth.
    truth = real['audio'].ground_truth(['1-VMTJRpjbE_150_160'])[0]
    present = {LLP_CLASSES[c] for c in np.flatnonzero(truth.any(axis=0))}
    assert present == {'Speech', 'Fire_alarm'}


def test_labels_as_the_evaluation_reads_them(real):
    test = real['splits']['test']
    row = test.filenames.index('LcFWKgFphXI_20_30')
    assert test.classes[row] == (LLP_CLASSES.index('Clapping'), )
    assert test.labels()[row].sum() == 1
    # Dense rows of classes missing from the weak label are kept.
    weak = {name: set(classes) for split in ('val', 'test')
            for name, classes in zip(real['splits'][split].filenames,
                                     real['splits'][split].classes)}
    for kind, count in (('audio', 76), ('visual', 51)):
        outside = [e for e in real[kind].events
                   if e.filename in weak and e.class_index not in
                   weak[e.filename]]
        assert len(outside) == count
    for split, count in (('val', 30), ('test', 51)):
        differ = 0
        for name, classes in zip(real['splits'][split].filenames,
                                 real['splits'][split].classes):
            dense = {e.class_index for kind in ('audio', 'visual')
                     for e in real[kind].by_filename().get(name, ())}
            differ += dense != set(classes)
        assert differ == count


def test_the_real_audio_file_is_the_fixed_one(real):
    assert audio_release(real['audio']) == FIXED
    assert 'byte-identical to the fixed' in describe_audio_release(
        real['audio'])
    assert audio_release(real['visual']) == OTHER


def write_old_rows(source, target):
    """A copy of the fixed audio file with the 3 bad rows written back."""
    with open(source) as file:
        lines = file.read().split('\n')
    for row in DIFFERING_ROWS:
        fields = lines[row.line - 1].split('\t')
        assert fields[0] == row.fixed_filename
        lines[row.line - 1] = '\t'.join([row.old_filename] + fields[1:])
    with open(target, 'w') as file:
        file.write('\n'.join(lines))


def test_the_old_copy_is_detected(real, tmp_path):
    old_path = str(tmp_path / ann.AUDIO_EVAL_FILE)
    write_old_rows(real['audio'].path, old_path)
    old = ann.parse_dense_annotations(old_path)
    assert audio_release(old) == OLD
    message = describe_audio_release(old)
    assert 'byte-identical to the OLD audio annotations of jasongief/CPSP' \
        in message and '3 of the 3 rows' in message
    # Those events are missing from the test ground truth with it.
    speech, cat = LLP_CLASSES.index('Speech'), LLP_CLASSES.index('Cat')
    names = ['JfZEqeLZqWk_30_40', 'KvIjsmANkxI_10_20']
    fixed_truth = real['audio'].ground_truth(names)
    old_truth = old.ground_truth(names)
    assert fixed_truth[0, [0, 1, 2, 3, 7, 8, 9], speech].all()
    assert not old_truth[0, :, speech].any()
    assert fixed_truth[1, 0, cat] and not old_truth[1, 0, cat]
    assert old_truth[1, 3:7, cat].all()  # the other Cat row stays
    changed = fixed_truth != old_truth
    assert changed.any(axis=(1, 2)).tolist() == [True, True]
    # One bad row is enough; an edited copy is named so.
    shutil.copyfile(real['audio'].path, old_path)
    with open(old_path, 'a') as file:
        file.write('KvIjsmANkxI_10_20`\t0\t1\tCat\n')
    edited = ann.parse_dense_annotations(old_path)
    assert audio_release(edited) == OLD
    assert 'an edited copy of the OLD' in describe_audio_release(edited)
