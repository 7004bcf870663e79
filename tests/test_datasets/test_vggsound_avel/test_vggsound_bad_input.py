"""Each kind of bad input stops with one DataValidationError naming the file,
the key or row, what was expected and what was found, and leaves the
user's files as they were."""
import csv
import hashlib
import os
import pickle
import shutil
import zipfile

import h5py
import numpy as np
import pytest
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

import mmcpsp.datasets.transforms.vggsound_loading  # noqa: F401
import mmcpsp.datasets.vggsound_avel.vggsound_avel_dataset  # noqa: F401
from mmcpsp.datasets.errors import DataValidationError
from mmcpsp.registry import DATASETS
from mmcpsp.testing.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)

META = 'vggsound-avel100k.csv'
CATEGORIES = 'VggsoundAVEL100kCategories.txt'


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp('vggsound_bad') / 'root'
    generate_synthetic_vggsound_avel(str(root), 15, layout='both', seed=5)
    return root


@pytest.fixture
def root(pristine, tmp_path):
    """A fresh copy to damage."""
    return shutil.copytree(pristine, tmp_path / 'root')


def digest(folder):
    hashes = {}
    for directory, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, 'rb') as file:
                hashes[path] = hashlib.sha256(file.read()).hexdigest()
    return hashes


def build(root, split='val', **kwargs):
    init_default_scope('mmcpsp')
    return DATASETS.build(
        dict(type='VGGSoundAVELDataset', data_root=str(root), split=split,
             pipeline=[dict(type='LoadVGGSoundAVELFeatures'),
                       dict(type='PackAVELInputs')], **kwargs))


def expect_error(root, *fragments, video_id=None, **kwargs):
    """Check the error at dataset creation, or at loading ``video_id``."""
    before = digest(root)
    with pytest.raises(DataValidationError) as info:
        dataset = build(root, **kwargs)
        assert video_id is not None, 'no error when building the dataset'
        ids = [dataset.get_data_info(i)['video_id']
               for i in range(len(dataset))]
        dataset[ids.index(video_id)]
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert 'expected' in message and 'found' in message
    assert digest(root) == before
    return message


def meta_rows(root):
    with open(root / META, newline='') as file:
        return list(csv.reader(file))


def write_meta(root, rows):
    with open(root / META, 'w', newline='') as file:
        csv.writer(file).writerows(rows)


def val_video(root):
    return next(row[0] for row in meta_rows(root)[1:] if row[2] == 'val')


def replace_pickle(root, folder, video_id, value):
    path = root / folder / f'{video_id}.zip'
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr(f'{video_id}.pkl', pickle.dumps(value))
    return str(path)


# Checked when the dataset is created.


def test_missing_meta_csv(root):
    os.remove(root / META)
    expect_error(root, str(root / META), 'no such file', layout='zip')


def test_missing_categories_file(root):
    os.remove(root / CATEGORIES)
    expect_error(root, str(root / CATEGORIES), 'no such file')


def test_missing_zip_of_a_video(root):
    video_id = val_video(root)
    os.remove(root / 'audio_features' / f'{video_id}.zip')
    expect_error(root, str(root / 'audio_features' / f'{video_id}.zip'),
                 '1 missing', layout='zip')


def test_missing_zip_folder(root):
    shutil.rmtree(root / 'labels')
    expect_error(root, str(root / 'labels'), 'no such folder', layout='zip')


def test_missing_column(root):
    write_meta(root, [row[:2] for row in meta_rows(root)])
    expect_error(root, str(root / META), 'row 1', "missing ['split']")


def test_unknown_category(root):
    rows = meta_rows(root)
    rows[4][1] = 'Playing the kazoo'
    write_meta(root, rows)
    expect_error(root, str(root / META), "key 'category'", 'row 5',
                 "unknown category 'Playing the kazoo'")


def test_wrong_split_value(root):
    rows = meta_rows(root)
    rows[3][2] = 'validation'
    write_meta(root, rows)
    expect_error(root, str(root / META), "key 'split'", 'row 4',
                 'one of train, val, test', "'validation'")


def test_repeated_video(root):
    rows = meta_rows(root)
    rows.append(rows[2])
    write_meta(root, rows)
    expect_error(root, "key 'video_id'", f'row {len(rows)}',
                 'already on line 3')


def test_wrong_number_of_categories(root):
    names = (root / CATEGORIES).read_text().splitlines()
    (root / CATEGORIES).write_text('\n'.join(names[:-1]) + '\n')
    expect_error(root, str(root / CATEGORIES), '141 class names',
                 'found 140 lines')


def test_repeated_category(root):
    names = (root / CATEGORIES).read_text().splitlines()
    names[7] = names[2]
    (root / CATEGORIES).write_text('\n'.join(names) + '\n')
    expect_error(root, 'row 8', 'already on line 3')


def test_hdf5_missing_file(root):
    os.remove(root / 'hdf5' / 'visual.h5')
    expect_error(root, str(root / 'hdf5' / 'visual.h5'), layout='hdf5')


def test_hdf5_missing_key(root):
    path = root / 'hdf5' / 'labels.h5'
    with h5py.File(path, 'w') as file:
        file['mask'] = np.zeros((15, 10), np.uint8)
    expect_error(root, str(path), "key 'labels'", "keys ['mask']")


def test_hdf5_wrong_shape(root):
    path = root / 'hdf5' / 'audio.h5'
    with h5py.File(path, 'w') as file:
        file['audio'] = np.zeros((15, 10, 64), np.float32)
    expect_error(root, str(path), "key 'audio'", '(15, 10, 128)',
                 '(15, 10, 64)')


def test_hdf5_wrong_dtype(root):
    path = root / 'hdf5' / 'visual.h5'
    with h5py.File(path, 'w') as file:
        file.create_dataset('visual', shape=(15, 10, 7, 7, 1024),
                            dtype='int16')
    expect_error(root, str(path), "key 'visual'", 'int16')


def test_hdf5_truncated_file(root):
    path = root / 'hdf5' / 'audio.h5'
    content = path.read_bytes()
    path.write_bytes(content[:len(content) // 3])
    expect_error(root, str(path), 'truncated or corrupt', layout='hdf5')


def test_hdf5_index_lacks_a_video(root):
    video_id = val_video(root)
    path = root / 'hdf5' / 'index.h5'
    with h5py.File(path, 'r+') as file:
        ids = file['video_id'].asstr()[()]
        ids[list(ids).index(video_id)] = 'somethingelse'
        file['video_id'][...] = ids
    expect_error(root, str(path), '1 missing', video_id)


# Checked when a video is loaded.


def test_truncated_zip(root):
    video_id = val_video(root)
    path = root / 'visual_features' / f'{video_id}.zip'
    content = path.read_bytes()
    path.write_bytes(content[:len(content) // 2])
    expect_error(root, str(path), 'truncated or corrupt zip',
                 video_id=video_id, layout='zip')


def test_corrupt_zip(root):
    video_id = val_video(root)
    path = root / 'audio_features' / f'{video_id}.zip'
    path.write_bytes(b'PK\x03\x04' + bytes(200))
    expect_error(root, str(path), 'truncated or corrupt zip',
                 video_id=video_id, layout='zip')


def test_pickle_that_is_not_an_array(root):
    video_id = val_video(root)
    path = replace_pickle(root, 'audio_features', video_id,
                          {'features': [0.0] * 128})
    expect_error(root, path, 'a pickled numpy array', 'a pickled dict',
                 video_id=video_id, layout='zip')


def test_pickle_that_runs_code(root, tmp_path):
    video_id = val_video(root)

    class Payload:

        def __reduce__(self):
            return os.system, (f'touch {tmp_path / "marker"}', )

    path = replace_pickle(root, 'labels', video_id, Payload())
    expect_error(root, path, 'system', 'refused', video_id=video_id,
                 layout='zip')
    assert not (tmp_path / 'marker').exists()


@pytest.mark.parametrize('folder,array,fragments', [
    ('visual_features', np.zeros((10, 512, 7, 7), np.float32),
     ['[10, 1024, 7, 7]', '[10, 512, 7, 7]']),
    ('audio_features', np.zeros((10, 64), np.float32), ['[10, 64]']),
    ('labels', np.zeros((2, 10)), ['[2, 10]']),
])
def test_wrong_shape(root, folder, array, fragments):
    video_id = val_video(root)
    path = replace_pickle(root, folder, video_id, array)
    expect_error(root, path, 'shape', *fragments, video_id=video_id,
                 layout='zip')


def test_wrong_dtype(root):
    video_id = val_video(root)
    path = replace_pickle(root, 'visual_features', video_id,
                          np.zeros((10, 1024, 7, 7), np.int32))
    expect_error(root, path, 'floating-point', 'int32', video_id=video_id,
                 layout='zip')


def test_non_finite_values(root):
    video_id = val_video(root)
    audio = np.zeros((10, 128), np.float32)
    audio[3, 17] = np.nan
    path = replace_pickle(root, 'audio_features', video_id, audio)
    expect_error(root, path, 'finite', 'nan in segment 3', video_id=video_id,
                 layout='zip')


def test_label_that_is_not_binary(root):
    video_id = val_video(root)
    path = replace_pickle(root, 'labels', video_id,
                          np.array([[0, 1, 1, 2, 0, 0, 0, 0, 0, 0]]))
    expect_error(root, path, 'binary', '2 in segment 3', video_id=video_id,
                 layout='zip')


def test_hdf5_non_finite_row(root):
    video_id = val_video(root)
    with h5py.File(root / 'hdf5' / 'index.h5', 'r') as file:
        row = list(file['video_id'].asstr()[()]).index(video_id)
    path = root / 'hdf5' / 'visual.h5'
    with h5py.File(path, 'r+') as file:
        visual = file['visual'][row]
        visual[4, 1, 2, 3] = np.inf
        file['visual'][row] = visual
    expect_error(root, str(path), "key 'visual'", f'row {row} (video '
                 f'{video_id})', 'inf in segment 4', video_id=video_id,
                 layout='hdf5')


def test_hdf5_label_that_is_not_binary(root):
    video_id = val_video(root)
    with h5py.File(root / 'hdf5' / 'index.h5', 'r') as file:
        row = list(file['video_id'].asstr()[()]).index(video_id)
    path = root / 'hdf5' / 'labels.h5'
    with h5py.File(path, 'r+') as file:
        file['labels'][row, 9] = 7
    expect_error(root, str(path), "key 'labels'", '7 in segment 9',
                 video_id=video_id, layout='hdf5')


def test_one_message_per_error(root):
    video_id = val_video(root)
    path = replace_pickle(root, 'labels', video_id, np.full(10, 0.5))
    message = expect_error(root, path, video_id=video_id, layout='zip')
    assert '\n' not in message
    assert message.count(path) == 1


def test_error_in_a_dataloader_worker(root):
    """The error of a worker reaches the main process as a
    DataValidationError whose last line is the message."""
    video_id = val_video(root)
    path = replace_pickle(root, 'visual_features', video_id, [1, 2])
    dataset = build(root, layout='zip')
    loader = DataLoader(dataset, batch_size=len(dataset), num_workers=1,
                        collate_fn=pseudo_collate)
    with pytest.raises(DataValidationError) as info:
        next(iter(loader))
    assert str(info.value).splitlines()[-1].endswith(
        f'{path}:{video_id}.pkl: expected a pickled numpy array, found a '
        'pickled list')
