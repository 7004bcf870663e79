"""Bad LLP input stops with one DataValidationError naming the file and
row; the release's quirks do not."""
import os

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmcpsp.datasets import DataValidationError
from mmcpsp.datasets.llp import annotations as ann
from mmcpsp.datasets.transforms import LoadLLPFeatures
from mmcpsp.registry import DATASETS

PIPELINE = [
    dict(type='LoadLLPFeatures'),
    dict(type='PackAVELInputs', input_keys=('audio', 'visual', 'visual_st'))
]


def build(root, split):
    init_default_scope('mmcpsp')
    return DATASETS.build(
        dict(type='LLPDataset', data_root=root, split=split,
             pipeline=PIPELINE))


def expect_error(root, split, *fragments):
    with pytest.raises(DataValidationError) as info:
        build(root, split)
    message = str(info.value)
    assert '\n' not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def edit_line(path, line_number, edit):
    """Replace line ``line_number`` (1 = header) of a text file."""
    with open(path) as file:
        lines = file.read().splitlines()
    lines[line_number - 1] = edit(lines[line_number - 1])
    with open(path, 'w') as file:
        file.write('\n'.join(lines) + '\n')


def append(path, text):
    with open(path, 'a') as file:
        file.write(text + '\n')


def first_feature(root, split, folder):
    weak = ann.parse_weak_labels(
        os.path.join(root, ann.SPLIT_FILES[split]))
    return os.path.join(root, 'feats', folder,
                        f'{weak.filenames[0][:11]}.npy')


@pytest.mark.parametrize('split', ['train', 'val'])
def test_wrong_number_of_columns_in_a_split_file(llp_copy, split):
    path = os.path.join(llp_copy, ann.SPLIT_FILES[split])
    edit_line(path, 3, lambda line: line + '\textra')
    expect_error(llp_copy, split, path, 'row 1 (line 3)',
                 '2 tab-separated fields', 'found 3')


def test_unknown_class_in_a_split_file(llp_copy):
    path = os.path.join(llp_copy, ann.TRAIN_FILE)
    edit_line(path, 6, lambda line: line.split('\t')[0] + '\tSpeech,Dragon')
    expect_error(llp_copy, 'train', path, 'line 6', "unknown class 'Dragon'",
                 "key 'event_labels'")


def test_bad_header(llp_copy):
    path = os.path.join(llp_copy, ann.TEST_FILE)
    edit_line(path, 1, lambda line: 'filename,event_labels')
    expect_error(llp_copy, 'test', path, 'line 1', 'header')


def test_a_video_listed_twice(llp_copy):
    path = os.path.join(llp_copy, ann.TRAIN_FILE)
    with open(path) as file:
        second = file.read().splitlines()[2]
    append(path, second.split('\t')[0] + '_copy\tDog')
    expect_error(llp_copy, 'train', path, 'line 34', 'already on line 3')


@pytest.mark.parametrize('name', [ann.AUDIO_EVAL_FILE, ann.VISUAL_EVAL_FILE])
def test_wrong_number_of_columns_in_a_dense_file(llp_copy, name):
    path = os.path.join(llp_copy, name)
    edit_line(path, 4, lambda line: '\t'.join(line.split('\t')[:3]))
    expect_error(llp_copy, 'val', path, 'line 4', '4 tab-separated fields')


def test_unknown_class_in_a_dense_file(llp_copy):
    path = os.path.join(llp_copy, ann.VISUAL_EVAL_FILE)
    edit_line(path, 2, lambda line: line.rsplit('\t', 1)[0] + '\tSpeech,Dog')
    expect_error(llp_copy, 'test', path, 'row 0 (line 2)',
                 "unknown class 'Speech,Dog'")


@pytest.mark.parametrize('onset', ['1.5', 'x', '-1', '11', '', ' 2'])
def test_onset_not_an_integer_second(llp_copy, onset):
    path = os.path.join(llp_copy, ann.AUDIO_EVAL_FILE)

    def edit(line):
        fields = line.split('\t')
        return '\t'.join([fields[0], onset] + fields[2:])

    edit_line(path, 3, edit)
    expect_error(llp_copy, 'val', path, 'line 3',
                 'integer seconds from 0 to 10', repr(onset))


@pytest.mark.parametrize('split,name', [
    ('train', ann.TRAIN_FILE), ('val', ann.VAL_FILE),
    ('val', ann.AUDIO_EVAL_FILE), ('test', ann.VISUAL_EVAL_FILE),
    ('test', ann.FULL_FILE)
])
def test_missing_annotation_file(llp_copy, split, name):
    path = os.path.join(llp_copy, name)
    os.remove(path)
    expect_error(llp_copy, split, path, 'no such file')


def test_missing_feature_file(llp_copy):
    path = first_feature(llp_copy, 'train', 'res152')
    os.remove(path)
    expect_error(llp_copy, 'train', path, '1 missing',
                 'one .npy per video of the train split')


def test_missing_feature_folder(llp_copy):
    folder = os.path.join(llp_copy, 'feats', 'r2plus1d_18')
    os.rename(folder, folder + '_elsewhere')
    expect_error(llp_copy, 'val', folder, 'no such folder')


@pytest.mark.parametrize('folder,array,found', [
    ('vggish', np.zeros((10, 127), np.float32), 'shape [10, 127]'),
    ('res152', np.zeros((10, 8, 2048), np.float32), 'shape [10, 8, 2048]'),
    ('r2plus1d_18', np.zeros((10, 512), np.int32), 'dtype int32'),
])
def test_wrong_shape_or_dtype(llp_copy, folder, array, found):
    path = first_feature(llp_copy, 'test', folder)
    np.save(path, array)
    expect_error(llp_copy, 'test', path, found)


def test_not_a_npy_file(llp_copy):
    path = first_feature(llp_copy, 'val', 'vggish')
    with open(path, 'wb') as file:
        file.write(b'not an array')
    expect_error(llp_copy, 'val', path, 'a .npy file')


def test_non_finite_values_stop_when_read(llp_copy):
    path = first_feature(llp_copy, 'val', 'r2plus1d_18')
    features = np.load(path)
    features[4, 7] = np.nan
    np.save(path, features)
    dataset = build(llp_copy, 'val')  # headers are fine
    with pytest.raises(DataValidationError) as info:
        dataset[0]
    assert path in str(info.value)
    assert 'NaN or infinite' in str(info.value)


def test_pickled_and_overflowing_files(tmp_path):
    pickled = str(tmp_path / 'pickled.npy')
    np.save(pickled, np.array([{'a': 1}] * 10, dtype=object),
            allow_pickle=True)
    good = str(tmp_path / 'good.npy')
    np.save(good, np.ones((10, 128), np.float32))
    results = dict(audio_path=pickled, visual_path=good, visual_st_path=good)
    with pytest.raises(DataValidationError, match='pickled.npy'):
        LoadLLPFeatures()(results)
    large = str(tmp_path / 'large.npy')
    np.save(large, np.full((10, 128), 1e5, np.float32))
    results['audio_path'] = large
    with pytest.raises(DataValidationError,
                       match=r'large\.npy.*finite values \(as float16\)'):
        LoadLLPFeatures(dtype='float16')(results)
    with pytest.raises(ValueError, match='floating'):
        LoadLLPFeatures(dtype='int32')


def test_video_without_any_dense_row_is_fine(llp_copy):
    """A val/test video may have rows in neither file: all zeros."""
    weak = ann.parse_weak_labels(os.path.join(llp_copy, ann.VAL_FILE))
    target = weak.filenames[2]
    for name in (ann.AUDIO_EVAL_FILE, ann.VISUAL_EVAL_FILE):
        path = os.path.join(llp_copy, name)
        with open(path) as file:
            lines = [line for line in file.read().splitlines()
                     if line.split('\t')[0] != target]
        with open(path, 'w') as file:
            file.write('\n'.join(lines) + '\n\n')  # and a blank line
    info = build(llp_copy, 'val').get_data_info(2)
    assert info['video_id'] == target
    assert not info['audio_labels'].any() and not info['visual_labels'].any()
    assert info['weak_label'].any()
