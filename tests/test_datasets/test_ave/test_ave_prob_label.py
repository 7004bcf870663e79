"""AVEDataset(with_prob_label=True): the normalised weak labels of
prob_label.h5, which the CVPR 2021 weakly supervised PSP trains on."""
import os

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmcpsp.datasets import AVEDataset, avel_collate
from mmcpsp.registry import DATASETS, MODELS
from mmcpsp.structures import GT_VIDEO_PROB_LABEL

PIPELINE = [dict(type='LoadAVEFeatures'), dict(type='PackAVELInputs')]


def _weak_train(data_root, **kwargs):
    init_default_scope('mmcpsp')
    return DATASETS.build(
        dict(type='AVEDataset', data_root=data_root, split='train',
             supervision='weakly', with_prob_label=True, **kwargs))


def test_prob_labels_follow_rows_and_noisy_videos_are_background(
        ave_small_root, read_h5):
    probs = read_h5(os.path.join(ave_small_root, 'prob_label.h5'))
    order = read_h5(
        os.path.join(ave_small_root, 'train_order.h5'), key='order')
    dataset = _weak_train(ave_small_root, use_noisy=True)
    assert len(dataset) == len(order) + 6
    for index, row in enumerate(order):
        info = dataset.get_data_info(index)
        assert info['video_prob_label'].dtype == np.float32
        np.testing.assert_array_equal(info['video_prob_label'], probs[row])
        assert 'video_label' in info
    background = np.eye(29, dtype=np.float32)[28]
    for index in range(len(order), len(dataset)):
        np.testing.assert_array_equal(
            dataset.get_data_info(index)['video_prob_label'], background)


def test_batches_carry_the_prob_labels(ave_small_root, read_h5):
    probs = read_h5(os.path.join(ave_small_root, 'prob_label.h5'))
    order = read_h5(
        os.path.join(ave_small_root, 'train_order.h5'), key='order')
    dataset = _weak_train(ave_small_root, pipeline=PIPELINE)
    batch = MODELS.build(dict(type='AVELDataPreprocessor'))(
        avel_collate([dataset[0], dataset[1]]))
    for sample, row in zip(batch['data_samples'], order[:2]):
        torch.testing.assert_close(
            sample.get(GT_VIDEO_PROB_LABEL), torch.from_numpy(probs[row]))


@pytest.mark.parametrize('supervision,split', [('fully', 'train'),
                                               ('weakly', 'test')])
def test_only_for_weak_training(ave_small_root, supervision, split):
    with pytest.raises(ValueError, match='with_prob_label'):
        AVEDataset(ave_small_root, split, supervision, with_prob_label=True)


def test_missing_or_bad_file_is_named(ave_copy, expect_error, rewrite_h5):
    path = os.path.join(ave_copy, 'prob_label.h5')
    rewrite_h5(path, np.full((40, 29), 1.5))
    expect_error(ave_copy, ['prob_label.h5', 'finite values in [0, 1]'],
                 supervision='weakly', with_prob_label=True)
    os.remove(path)
    expect_error(ave_copy, ['prob_label.h5'], supervision='weakly',
                 with_prob_label=True)


def test_preloaded_batches_carry_the_prob_labels(ave_small_root, read_h5):
    probs = read_h5(os.path.join(ave_small_root, 'prob_label.h5'))
    order = read_h5(
        os.path.join(ave_small_root, 'train_order.h5'), key='order')
    dataset = _weak_train(ave_small_root, pipeline=PIPELINE, preload='ram')
    batch = MODELS.build(dict(type='AVELDataPreprocessor'))(
        avel_collate(dataset.__getitems__([0, 1])))
    for sample, row in zip(batch['data_samples'], order[:2]):
        torch.testing.assert_close(
            sample.get(GT_VIDEO_PROB_LABEL), torch.from_numpy(probs[row]))
