"""Each bad input stops AVEDataset with one DataValidationError that names
the file, the key or row, what was expected and what was found, and leaves
every file as it was."""
import os

import h5py
import numpy as np
import pytest

from mmcpsp.datasets import AVEDataset, DataValidationError

PIPELINE = [dict(type='LoadAVEFeatures'), dict(type='PackAVELInputs')]


def path_in(root, name):
    return os.path.join(root, name)


def edit_annotation_line(root, row, edit):
    path = path_in(root, 'Annotations.txt')
    with open(path) as file:
        lines = file.read().splitlines()
    lines[row] = edit(lines[row])
    with open(path, 'w') as file:
        file.write('\n'.join(lines) + '\n')


class TestAVEBadInput:

    def test_missing_file(self, ave_copy, expect_error):
        os.remove(path_in(ave_copy, 'audio_feature.h5'))
        expect_error(ave_copy, [
            path_in(ave_copy, 'audio_feature.h5'), 'expected an HDF5 file',
            'found no such file'
        ])

    def test_missing_annotation_file(self, ave_copy):
        os.remove(path_in(ave_copy, 'Annotations.txt'))
        with pytest.raises(DataValidationError, match='no such file'):
            AVEDataset(ave_copy, 'train', lazy_init=True)

    def test_missing_key(self, ave_copy, expect_error, rewrite_h5, read_h5):
        path = path_in(ave_copy, 'audio_feature.h5')
        rewrite_h5(path, read_h5(path), key='features')
        expect_error(ave_copy, [
            path, "key 'avadataset'", "expected a dataset named 'avadataset'",
            "found keys ['features']"
        ])

    def test_wrong_feature_shape(self, ave_copy, expect_error, rewrite_h5,
                                 read_h5):
        path = path_in(ave_copy, 'audio_feature.h5')
        rewrite_h5(path, read_h5(path)[..., :64])
        expect_error(ave_copy, [
            path, 'expected shape (N, 10, 128)', 'found shape (40, 10, 64)'
        ])

    def test_wrong_visual_shape(self, ave_copy, expect_error, rewrite_h5):
        path = path_in(ave_copy, 'visual_feature.h5')
        rewrite_h5(path, np.zeros((40, 10, 49, 512)))
        expect_error(ave_copy, [
            path, 'expected shape (N, 10, 7, 7, 512)',
            'found shape (40, 10, 49, 512)'
        ])

    def test_wrong_feature_dtype(self, ave_copy, expect_error, rewrite_h5,
                                 read_h5):
        path = path_in(ave_copy, 'audio_feature.h5')
        rewrite_h5(path, read_h5(path).astype(np.int32))
        expect_error(ave_copy, [
            path, 'expected floating-point values', 'found dtype int32'
        ])

    def test_wrong_label_shape(self, ave_copy, expect_error, rewrite_h5,
                               read_h5):
        path = path_in(ave_copy, 'labels.h5')
        rewrite_h5(path, read_h5(path)[:, :8])
        expect_error(ave_copy, [
            path, 'expected shape (N, 10, N)', 'found shape (40, 8, 29)'
        ])

    def test_nonfinite_audio(self, ave_copy, expect_error, rewrite_h5,
                             read_h5):
        path = path_in(ave_copy, 'audio_feature.h5')
        audio = read_h5(path)
        audio[17, 3, 5] = np.nan
        audio[21, 0, 0] = np.inf
        rewrite_h5(path, audio)
        error = expect_error(ave_copy, [
            path, 'row 17', 'expected finite values',
            'NaN or infinite values in 2 row(s), the first being row 17'
        ])
        assert error.row == 17

    def test_nonfinite_visual_at_load_time(self, ave_copy, rewrite_h5,
                                           read_h5):
        path = path_in(ave_copy, 'visual_feature.h5')
        visual = read_h5(path)
        dataset = AVEDataset(ave_copy, 'train', pipeline=PIPELINE)
        row = dataset.get_data_info(2)['row']
        visual[row, 4, 1, 1, 7] = np.nan
        rewrite_h5(path, visual)
        # Checked up front only by verify.py (a full pass over 7.7 GiB).
        dataset = AVEDataset(ave_copy, 'train', pipeline=PIPELINE)
        dataset[1]
        with pytest.raises(DataValidationError) as info:
            dataset[2]
        message = str(info.value)
        assert path in message and f'row {row}' in message
        assert '1 NaN or infinite value(s)' in message

    def test_order_index_out_of_range(self, ave_copy, expect_error,
                                      rewrite_h5, read_h5):
        path = path_in(ave_copy, 'val_order.h5')
        order = read_h5(path, 'order')
        order[2] = 40
        rewrite_h5(path, order, key='order')
        expect_error(ave_copy, [
            path, "key 'order', row 2",
            'expected row indices in [0, 40)', 'found 40'
        ])

    def test_order_repeated_index(self, ave_copy, expect_error, rewrite_h5,
                                  read_h5):
        path = path_in(ave_copy, 'train_order.h5')
        order = read_h5(path, 'order')
        order[5] = order[0]
        rewrite_h5(path, order, key='order')
        expect_error(ave_copy, [
            path, 'expected each row index at most once',
            f'found row index {order[0]} 2 times'
        ])

    def test_order_not_integer(self, ave_copy, expect_error, rewrite_h5,
                               read_h5):
        path = path_in(ave_copy, 'test_order.h5')
        rewrite_h5(path, read_h5(path, 'order').astype(float), key='order')
        expect_error(ave_copy, [
            path, 'expected integer row indices', 'found dtype float64'
        ])

    def test_orders_not_disjoint(self, ave_copy, expect_error, rewrite_h5,
                                 read_h5):
        train = read_h5(path_in(ave_copy, 'train_order.h5'), 'order')
        path = path_in(ave_copy, 'test_order.h5')
        test = read_h5(path, 'order')
        test[1] = train[3]
        rewrite_h5(path, test, key='order')
        expect_error(ave_copy, [
            path, 'row 1', 'expected row indices disjoint from those of',
            'train_order.h5', f'found 1 shared row index(es), e.g. {train[3]}'
        ])

    def test_segment_label_not_one_hot(self, ave_copy, expect_error,
                                       rewrite_h5, read_h5):
        path = path_in(ave_copy, 'labels.h5')
        labels = read_h5(path)
        labels[9, 6] = 0
        labels[9, 6, [2, 5]] = 1
        rewrite_h5(path, labels)
        expect_error(ave_copy, [
            path, 'row 9, segment 6',
            'expected a one-hot vector over 29 columns', 'found 2 columns set'
        ])

    def test_segment_label_bad_value(self, ave_copy, expect_error,
                                     rewrite_h5, read_h5):
        path = path_in(ave_copy, 'labels.h5')
        labels = read_h5(path)
        labels[4, 0] *= 0.5
        rewrite_h5(path, labels)
        expect_error(ave_copy, [path, 'row 4, segment 0', 'found the value'])

    def test_video_label_not_one_hot(self, ave_copy, expect_error,
                                     rewrite_h5, read_h5):
        path = path_in(ave_copy, 'mil_labels.h5')
        labels = read_h5(path)
        labels[11] = 0
        rewrite_h5(path, labels)
        expect_error(
            ave_copy, [path, 'row 11', 'one-hot', 'found 0 columns set'],
            supervision='weakly')

    def test_video_label_on_background(self, ave_copy, expect_error,
                                       rewrite_h5, read_h5):
        path = path_in(ave_copy, 'mil_labels.h5')
        labels = read_h5(path)
        labels[12] = 0
        labels[12, 28] = 1
        rewrite_h5(path, labels)
        expect_error(
            ave_copy,
            [path, 'row 12', 'found the background column 28 set'],
            supervision='weakly')

    def test_unknown_category(self, ave_copy, expect_error):
        edit_annotation_line(ave_copy, 13,
                             lambda line: 'Kazoo&' + line.split('&', 1)[1])
        expect_error(ave_copy, [
            path_in(ave_copy, 'Annotations.txt'), 'row 13 (line 14)',
            'expected one of the 28 known categories',
            "found unknown category 'Kazoo'"
        ], lazy_init=True)

    def test_categories_of_metainfo(self, ave_copy):
        edit_annotation_line(ave_copy, 13,
                             lambda line: 'Kazoo&' + line.split('&', 1)[1])
        with pytest.raises(DataValidationError, match="'Church bell'"):
            AVEDataset(
                ave_copy,
                'train',
                lazy_init=True,
                metainfo=dict(classes=('Kazoo', 'background')))

    def test_label_columns_beyond_categories(self, ave_copy, expect_error,
                                             rewrite_h5, read_h5):
        path = path_in(ave_copy, 'labels.h5')
        labels = read_h5(path)
        # A 29th event column before background: one-hot rows still.
        rewrite_h5(path, np.insert(labels, 28, 0, axis=-1))
        expect_error(ave_copy, [
            'Annotations.txt', 'expected 29 categories, one per event column',
            path, 'found 28'
        ])

    def test_categories_inconsistent_with_mil_labels(self, ave_copy,
                                                     expect_error,
                                                     rewrite_h5, read_h5):
        path = path_in(ave_copy, 'mil_labels.h5')
        labels = read_h5(path)
        labels[30] = np.roll(labels[30], 1)
        rewrite_h5(path, labels)
        expect_error(
            ave_copy,
            ['Annotations.txt', 'row 30 (line 31)', 'mil_labels.h5 row 30'],
            supervision='weakly')

    def test_malformed_annotation_line(self, ave_copy, expect_error):
        edit_annotation_line(ave_copy, 7, lambda line: line.rsplit('&', 1)[0])
        expect_error(ave_copy, [
            'Annotations.txt', 'row 7 (line 8)',
            'expected a line Category&VideoID&Quality&StartTime&EndTime'
        ])

    def test_annotation_times_out_of_range(self, ave_copy, expect_error):
        edit_annotation_line(
            ave_copy, 8, lambda line: line.rsplit('&', 2)[0] + '&6&4')
        expect_error(ave_copy, [
            'row 8 (line 9)', 'expected 0 <= StartTime <= EndTime <= 10',
            'found StartTime 6, EndTime 4'
        ])

    def test_truncated_file(self, ave_copy, expect_error):
        path = path_in(ave_copy, 'visual_feature.h5')
        size = os.path.getsize(path)
        with open(path, 'r+b') as file:
            file.truncate(size // 2)
        expect_error(ave_copy, [
            path, 'expected a complete, readable HDF5 file',
            'it may be truncated or corrupt'
        ])

    def test_corrupt_file(self, ave_copy, expect_error):
        path = path_in(ave_copy, 'labels.h5')
        with open(path, 'r+b') as file:
            file.write(b'\0' * 64)
        expect_error(ave_copy, [path, 'truncated or corrupt'])

    def test_row_count_mismatch(self, ave_copy, expect_error, rewrite_h5,
                                read_h5):
        path = path_in(ave_copy, 'audio_feature.h5')
        rewrite_h5(path, read_h5(path)[:39])
        expect_error(ave_copy, [
            path, 'expected 40 rows, one per video of Annotations.txt',
            'found 39 rows'
        ])

    def test_noisy_row_count_mismatch(self, ave_copy, expect_error,
                                      rewrite_h5, read_h5):
        path = path_in(ave_copy, 'audio_feature_noisy.h5')
        rewrite_h5(path, read_h5(path)[:5])
        expect_error(
            ave_copy,
            [path, 'expected 6 rows, one per video of', 'labels_noisy.h5'],
            supervision='weakly',
            use_noisy=True)

    def test_noisy_label_not_background(self, ave_copy, expect_error,
                                        rewrite_h5, read_h5):
        path = path_in(ave_copy, 'labels_noisy.h5')
        labels = read_h5(path)
        labels[2] = np.roll(labels[2], 1)
        rewrite_h5(path, labels)
        expect_error(
            ave_copy,
            [path, 'row 2', 'background column 28', 'found column 0 set'],
            supervision='weakly',
            use_noisy=True)

    def test_files_opened_read_only(self, ave_small_root, monkeypatch):
        modes = []
        original = h5py.File.__init__

        def record(self, name, mode='r', *args, **kwargs):
            modes.append(mode)
            original(self, name, mode, *args, **kwargs)

        monkeypatch.setattr(h5py.File, '__init__', record)
        dataset = AVEDataset(
            ave_small_root,
            'train',
            supervision='weakly',
            use_noisy=True,
            pipeline=PIPELINE)
        dataset[0]
        dataset[len(dataset) - 1]
        assert modes and set(modes) == {'r'}
