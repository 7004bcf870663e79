"""LLPDataset and LoadLLPFeatures on a small synthetic folder."""
import os

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmcpsp.datasets import LLPDataset
from mmcpsp.datasets.llp import LLP_CLASSES, llp_dataset
from mmcpsp.datasets.llp import annotations as ann
from mmcpsp.datasets.preload import PreloadedBatch
from mmcpsp.registry import DATASETS
from mmcpsp.structures import (
    GT_AUDIO_LABELS,
    GT_VISUAL_LABELS,
    GT_WEAK_LABEL,
)

PIPELINE = [
    dict(type='LoadLLPFeatures'),
    dict(type='PackAVELInputs', input_keys=('audio', 'visual', 'visual_st'))
]


def build(root, split='train', **kwargs):
    init_default_scope('mmcpsp')
    kwargs.setdefault('pipeline', PIPELINE)
    return DATASETS.build(
        dict(type='LLPDataset', data_root=root, split=split, **kwargs))


def reference_truth(dense_path, filename):
    """[10, 25] from the rows naming ``filename`` exactly."""
    truth = np.zeros((10, 25), np.float32)
    with open(dense_path) as file:
        for line in file.read().splitlines()[1:]:
            name, onset, offset, label = line.split('\t')
            if name == filename:
                truth[int(onset):int(offset), LLP_CLASSES.index(label)] = 1
    return truth


def test_splits_metainfo_and_class_names(tiny_llp_root):
    sizes = {split: len(build(tiny_llp_root, split))
             for split in ('train', 'val', 'test')}
    assert sizes == dict(train=32, val=4, test=4)
    dataset = build(tiny_llp_root, 'val')
    assert dataset.metainfo['classes'] == LLP_CLASSES
    assert 'background' not in dataset.metainfo['classes']
    assert dataset.metainfo['num_classes'] == dataset.num_classes == 25
    assert LLPDataset.class_names_from_config(
        dict(type='LLPDataset', data_root='nowhere')) == LLP_CLASSES
    with pytest.raises(ValueError, match='25 LLP classes'):
        build(tiny_llp_root, 'val', metainfo=dict(classes=('Speech', )))
    with pytest.raises(ValueError, match='split'):
        build(tiny_llp_root, 'dev')


def test_items_and_labels(tiny_llp_root):
    train = build(tiny_llp_root, 'train')
    weak = ann.parse_weak_labels(
        os.path.join(tiny_llp_root, ann.TRAIN_FILE))
    info = train.get_data_info(0)
    assert info['video_id'] == weak.filenames[0]
    assert info['video_id'].startswith('-')  # a quirk of the generator
    assert info['weak_label'].dtype == np.float32
    np.testing.assert_array_equal(info['weak_label'], weak.labels()[0])
    assert 'audio_labels' not in info and 'visual_labels' not in info
    assert train.get_cat_ids(0) == list(weak.classes[0])
    for index in range(len(train)):
        info = train.get_data_info(index)
        video_id = info['video_id'][:11]
        for key, folder in (('audio_path', 'vggish'),
                            ('visual_path', 'res152'),
                            ('visual_st_path', 'r2plus1d_18')):
            assert info[key] == os.path.join(tiny_llp_root, 'feats', folder,
                                             f'{video_id}.npy')
    # Items hold small things only: labels as tuples.
    assert isinstance(train.load_data_list()[0]['weak_label'], tuple)

    for split in ('val', 'test'):
        dataset = build(tiny_llp_root, split)
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            for key, dense in (('audio_labels', ann.AUDIO_EVAL_FILE),
                               ('visual_labels', ann.VISUAL_EVAL_FILE)):
                assert info[key].dtype == np.float32
                assert info[key].shape == (10, 25)
                np.testing.assert_array_equal(
                    info[key],
                    reference_truth(os.path.join(tiny_llp_root, dense),
                                    info['video_id']))


def test_samples(tiny_llp_root):
    dataset = build(tiny_llp_root, 'test')
    sample = dataset[0]
    inputs = sample['inputs']
    assert {key: tuple(value.shape) for key, value in inputs.items()} == {
        'audio': (10, 128), 'visual': (10, 8, 2048), 'visual_st': (10, 512)}
    assert all(value.dtype == torch.float32 for value in inputs.values())
    info = dataset.get_data_info(0)
    frames = np.load(info['visual_path'])
    # Segment-major: row t holds frames 8t .. 8t + 7.
    for segment in (0, 3, 9):
        np.testing.assert_array_equal(
            inputs['visual'][segment].numpy(),
            frames[8 * segment:8 * segment + 8])
    np.testing.assert_array_equal(inputs['audio'].numpy(),
                                  np.load(info['audio_path']))
    np.testing.assert_array_equal(inputs['visual_st'].numpy(),
                                  np.load(info['visual_st_path']))
    data_sample = sample['data_samples']
    assert data_sample.video_id == info['video_id']
    assert data_sample.get(GT_WEAK_LABEL).shape == (25, )
    for field, key in ((GT_AUDIO_LABELS, 'audio_labels'),
                       (GT_VISUAL_LABELS, 'visual_labels')):
        np.testing.assert_array_equal(
            data_sample.get(field).numpy(), info[key])


def test_preload_equals_the_files(tiny_llp_root):
    streamed = build(tiny_llp_root, 'val')
    preloaded = build(tiny_llp_root, 'val', preload='ram')
    assert preloaded.store.tensors['visual'].shape == (4, 10, 8, 2048)
    indices = [3, 0, 2]
    batch = preloaded.__getitems__(indices)
    assert isinstance(batch, PreloadedBatch)
    for position, index in enumerate(indices):
        sample = streamed[index]
        for key in ('audio', 'visual', 'visual_st'):
            assert torch.equal(batch['inputs'][key][position],
                               sample['inputs'][key])
        for field in (GT_WEAK_LABEL, GT_AUDIO_LABELS, GT_VISUAL_LABELS):
            assert torch.equal(batch['data_samples'][position].get(field),
                               sample['data_samples'].get(field))
        assert batch['data_samples'][position].video_id == \
            sample['data_samples'].video_id
        assert torch.equal(preloaded[index]['inputs']['visual'],
                           sample['inputs']['visual'])


def test_float16_store(tiny_llp_root):
    streamed = build(tiny_llp_root, 'train')
    preloaded = build(tiny_llp_root, 'train', preload='ram',
                      preload_dtype='float16')
    store = preloaded.store
    assert store.dtype == torch.float16
    assert store.nbytes == 32 * (10 * 128 + 80 * 2048 + 10 * 512) * 2
    batch = preloaded.__getitems__([5, 1])
    for position, index in enumerate((5, 1)):
        info = streamed.get_data_info(index)
        files = dict(
            audio=np.load(info['audio_path']),
            visual=np.load(info['visual_path']).reshape(10, 8, 2048),
            visual_st=np.load(info['visual_st_path']))
        for key, array in files.items():
            served = batch['inputs'][key][position]
            assert served.dtype == torch.float32
            np.testing.assert_array_equal(
                served.numpy(), array.astype(np.float16).astype(np.float32))


def test_audio_release_logged_once(llp_copy, monkeypatch):
    """The old CPSP rows are detected and logged once, as a warning."""
    logged = []
    monkeypatch.setattr(llp_dataset, 'print_log',
                        lambda message, **kwargs: logged.append(
                            (message, kwargs.get('level'))))
    with open(os.path.join(llp_copy, ann.AUDIO_EVAL_FILE), 'a') as file:
        file.write('Baby_cry_infant_cry\t0\t4\tSpeech\n')
    build(llp_copy, 'val')
    build(llp_copy, 'test')
    build(llp_copy, 'train')
    described = [(message, level) for message, level in logged
                 if 'OLD audio annotations' in message]
    assert len(described) == 1
    assert described[0][1] == 30  # logging.WARNING
    summaries = [message for message, _ in logged
                 if message.startswith('LLP val split')]
    assert summaries and '2 audio and 1 visual rows name videos of no ' \
        'split' in summaries[0]
