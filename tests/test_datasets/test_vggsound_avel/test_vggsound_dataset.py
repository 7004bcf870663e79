import csv
import os
import pickle
import shutil

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

import mmcpsp.datasets.vggsound_avel.vggsound_avel_dataset  # noqa: F401
from mmcpsp.datasets.vggsound_avel.safe_pickle import load_zipped_array
from mmcpsp.registry import DATASETS, TRANSFORMS
from mmcpsp.testing.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)

NUM_VIDEOS = 40
PIPELINE = [dict(type='LoadVGGSoundAVELFeatures'), dict(type='PackAVELInputs')]


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    """A data root with the zips and the converted folder, and its draws."""
    root = tmp_path_factory.mktemp('vggsound') / 'root'
    data = generate_synthetic_vggsound_avel(
        str(root), NUM_VIDEOS, layout='both', seed=3)
    return str(root), data


def build(data_root, split='val', **kwargs):
    init_default_scope('mmcpsp')
    kwargs.setdefault('pipeline', PIPELINE)
    return DATASETS.build(
        dict(type='VGGSoundAVELDataset', data_root=data_root, split=split,
             **kwargs))


def expected_arrays(data, index):
    """Audio [10, 128], visual [10, 7, 7, 1024], labels [10] of a video."""
    audio, visual, mask = data.video(index)
    if len(audio) < 10:
        audio = np.concatenate([audio, np.repeat(audio[-1:], 10 - len(audio),
                                                 0)])
    labels = np.where(mask == 1, data.class_indices[index], 141)
    return audio[:10], visual.astype(np.float32), labels


@pytest.mark.parametrize('layout', ['zip', 'hdf5'])
def test_splits_and_metainfo(synthetic, layout):
    root, data = synthetic
    sizes = {
        split: len(build(root, split, layout=layout))
        for split in ('train', 'val', 'test')
    }
    assert sizes == dict(train=24, val=8, test=8)
    dataset = build(root, layout=layout)
    assert dataset.layout == layout
    metainfo = dataset.metainfo
    assert metainfo['num_classes'] == 141
    assert metainfo['background_index'] == 141
    assert metainfo['classes'] == tuple(data.class_names) + ('background', )


@pytest.mark.parametrize('layout', ['zip', 'hdf5'])
def test_samples_hold_the_distributed_values(synthetic, layout):
    root, data = synthetic
    rows = {video_id: row for row, video_id in enumerate(data.video_ids)}
    audio_lengths = set()
    for split in ('train', 'val', 'test'):
        dataset = build(root, split, layout=layout)
        for index in range(len(dataset)):
            sample = dataset[index]
            sample_meta = sample['data_samples'].metainfo
            row = rows[sample_meta['video_id']]
            audio, visual, labels = expected_arrays(data, row)
            audio_lengths.add(len(data.video(row)[0]))
            inputs = sample['inputs']
            assert inputs['audio'].dtype == torch.float32
            np.testing.assert_array_equal(inputs['audio'].numpy(), audio)
            np.testing.assert_array_equal(inputs['visual'].numpy(), visual)
            np.testing.assert_array_equal(
                sample['data_samples'].gt_segment_labels.numpy(), labels)
            assert int(sample['data_samples'].gt_video_label) == (
                data.class_indices[row])
            assert sample_meta['sample_idx'] == index
            assert sample_meta['num_classes'] == 141
    # The padding and the truncation of the audio were both exercised.
    assert min(audio_lengths) < 10 < max(audio_lengths)


def test_visual_maps_are_permuted_to_channels_last(synthetic):
    root, _ = synthetic
    dataset = build(root, layout='zip')
    info = dataset.get_data_info(0)
    channels_first = load_zipped_array(info['visual_path'])
    assert channels_first.shape == (10, 1024, 7, 7)
    visual = dataset[0]['inputs']['visual'].numpy()
    np.testing.assert_array_equal(visual,
                                  channels_first.transpose(0, 2, 3, 1))


def test_weakly_supervised_training_sees_video_labels_only(synthetic):
    root, data = synthetic
    train = build(root, 'train', supervision='weakly', layout='zip')
    for index in range(len(train)):
        sample = train[index]['data_samples']
        assert 'gt_segment_labels' not in sample
        row = data.video_ids.index(sample.metainfo['video_id'])
        assert int(sample.gt_video_label) == data.class_indices[row]
    val = build(root, 'val', supervision='weakly', layout='zip')
    assert 'gt_segment_labels' in val[0]['data_samples']


def test_weakly_supervised_training_needs_no_label_zips(synthetic, tmp_path):
    root, _ = synthetic
    copy = shutil.copytree(root, tmp_path / 'root')
    shutil.rmtree(copy / 'labels')
    shutil.rmtree(copy / 'hdf5')
    assert len(build(str(copy), 'train', supervision='weakly')) == 24
    with pytest.raises(Exception, match='labels'):
        build(str(copy), 'train')


def test_auto_layout(synthetic, tmp_path):
    root, _ = synthetic
    assert build(root).layout == 'hdf5'
    zips_only = shutil.copytree(
        root, tmp_path / 'root', ignore=shutil.ignore_patterns('hdf5'))
    assert build(str(zips_only)).layout == 'zip'
    # An unfinished conversion (no index.h5) is not picked.
    os.makedirs(zips_only / 'hdf5')
    shutil.copy(os.path.join(root, 'hdf5', 'visual.h5'), zips_only / 'hdf5')
    assert build(str(zips_only)).layout == 'zip'


@pytest.mark.parametrize('layout', ['zip', 'hdf5'])
def test_items_hold_no_features(synthetic, layout):
    root, _ = synthetic
    dataset = build(root, layout=layout, serialize_data=False)
    for item in dataset.data_list:
        assert set(item) == {'video_id', 'video_label', 'hdf5_row'}
        assert len(pickle.dumps(item)) < 100


def test_subset_with_its_own_meta_file(synthetic, tmp_path):
    root, data = synthetic
    with open(os.path.join(root, 'vggsound-avel100k.csv')) as file:
        rows = list(csv.reader(file))
    subset = [rows[0]] + rows[1::2]
    with open(os.path.join(root, 'vggsound-avel50k.csv'), 'w',
              newline='') as file:
        csv.writer(file).writerows(subset)
    try:
        for layout in ('zip', 'hdf5'):
            dataset = build(root, 'train', layout=layout,
                            meta_file='vggsound-avel50k.csv')
            expected = [row[0] for row in subset[1:] if row[2] == 'train']
            assert [dataset.get_data_info(i)['video_id']
                    for i in range(len(dataset))] == expected
            assert dataset[0]['inputs']['visual'].shape == (10, 7, 7, 1024)
    finally:
        os.remove(os.path.join(root, 'vggsound-avel50k.csv'))


def test_configurable_names(synthetic, tmp_path):
    root, _ = synthetic
    copy = tmp_path / 'root'
    shutil.copytree(root, copy)
    os.rename(copy / 'visual_features', copy / 'video_feats')
    os.rename(copy / 'VggsoundAVEL100kCategories.txt', copy / 'classes.txt')
    os.rename(copy / 'hdf5', copy / 'converted')
    dataset = build(str(copy), categories_file='classes.txt',
                    zip_dirs=dict(visual='video_feats'), layout='zip')
    assert dataset[0]['inputs']['visual'].shape == (10, 7, 7, 1024)
    assert build(str(copy), categories_file='classes.txt',
                 hdf5_dir='converted').layout == 'hdf5'


def test_float64_features(synthetic):
    root, _ = synthetic
    for layout in ('zip', 'hdf5'):
        dataset = build(
            root, layout=layout,
            pipeline=[dict(type='LoadVGGSoundAVELFeatures', dtype='float64'),
                      dict(type='PackAVELInputs')])
        inputs = dataset[1]['inputs']
        assert inputs['audio'].dtype == torch.float64
        assert inputs['visual'].dtype == torch.float64


def test_rejects_bad_arguments(synthetic):
    root, _ = synthetic
    for kwargs in (dict(split='training'), dict(supervision='semi'),
                   dict(layout='npy'), dict(zip_dirs=dict(video='v'))):
        with pytest.raises(ValueError):
            build(root, **{'split': 'val', **kwargs})
    with pytest.raises(ValueError, match='floating'):
        TRANSFORMS.build(dict(type='LoadVGGSoundAVELFeatures', dtype='int32'))


def test_dataloader_workers_read_with_their_own_handles(synthetic):
    root, _ = synthetic
    dataset = build(root, 'train', layout='hdf5')
    expected = [dataset[i] for i in range(len(dataset))]  # opens handles
    loader = DataLoader(dataset, batch_size=5, num_workers=2,
                        collate_fn=pseudo_collate)
    loaded = [
        (audio, visual) for batch in loader
        for audio, visual in zip(batch['inputs']['audio'],
                                 batch['inputs']['visual'])
    ]
    assert len(loaded) == len(expected)
    for (audio, visual), sample in zip(loaded, expected):
        assert torch.equal(audio, sample['inputs']['audio'])
        assert torch.equal(visual, sample['inputs']['visual'])


def test_loading_transform_pickles_without_handles(synthetic):
    root, _ = synthetic
    dataset = build(root, layout='hdf5')
    dataset[0]
    transform = dataset.pipeline.transforms[0]
    assert transform._readers
    clone = pickle.loads(pickle.dumps(transform))
    assert clone._readers == {} and clone.dtype == np.float32
    results = clone(dataset.get_data_info(2))
    np.testing.assert_array_equal(results['visual'],
                                  dataset[2]['inputs']['visual'].numpy())
