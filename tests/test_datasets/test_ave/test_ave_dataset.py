import os
import pickle
import shutil

import h5py
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmcpsp.datasets import AVEDataset
from mmcpsp.datasets.ave import AVE_CATEGORIES
from mmcpsp.datasets.transforms import LoadAVEFeatures
from mmcpsp.registry import DATASETS, TRANSFORMS

PIPELINE = [dict(type='LoadAVEFeatures'), dict(type='PackAVELInputs')]


def parse_real_annotations(path):
    """Categories (first appearance) and [N, 10] segment labels."""
    with open(path) as file:
        lines = [line for line in file.read().splitlines() if line]
    if lines[0].startswith('Category&'):
        lines = lines[1:]
    categories, video_ids, labels = [], [], []
    for line in lines:
        category, video_id, _, start, end = line.split('&')
        if category not in categories:
            categories.append(category)
        video_ids.append(video_id)
        labels.append((categories.index(category), int(start), int(end)))
    segment_labels = np.full((len(labels), 10), 28)
    for row, (class_index, start, end) in enumerate(labels):
        segment_labels[row, start:end] = class_index
    return categories, video_ids, segment_labels


def build(data_root, split, **kwargs):
    init_default_scope('mmcpsp')
    return DATASETS.build(
        dict(type='AVEDataset', data_root=data_root, split=split, **kwargs))


class TestAVEDataset:

    @pytest.mark.parametrize('split,size', [('train', 3339), ('val', 402),
                                            ('test', 402)])
    def test_fully_splits_match_annotations(self, ave_meta_root, ave_meta_dir,
                                            read_h5, split, size):
        categories, video_ids, expected = parse_real_annotations(
            os.path.join(ave_meta_dir, 'Annotations.txt'))
        order = read_h5(
            os.path.join(ave_meta_dir, f'{split}_order.h5'), key='order')
        dataset = build(ave_meta_root, split, pipeline=PIPELINE)
        assert len(dataset) == size == len(order)
        assert dataset.metainfo['classes'] == tuple(categories) + (
            'background', )
        assert dataset.metainfo['num_classes'] == 28
        assert dataset.metainfo['background_index'] == 28
        for index in range(size):
            info = dataset.get_data_info(index)
            row = int(order[index])
            assert info['row'] == row
            assert info['video_id'] == video_ids[row]
            assert info['sample_idx'] == index
            assert info['num_classes'] == 28
            assert info['segment_labels'].dtype == np.int64
            np.testing.assert_array_equal(info['segment_labels'],
                                          expected[row])
            assert 'audio' not in info and 'visual' not in info

    def test_weak_train_labels_from_mil_labels(self, ave_meta_root,
                                               ave_meta_dir, read_h5):
        mil = read_h5(os.path.join(ave_meta_dir, 'mil_labels.h5'))
        order = read_h5(
            os.path.join(ave_meta_dir, 'train_order.h5'), key='order')
        dataset = build(ave_meta_root, 'train', supervision='weakly')
        assert len(dataset) == 3339
        labels = [dataset.get_data_info(i) for i in range(len(dataset))]
        assert all('segment_labels' not in info for info in labels)
        np.testing.assert_array_equal([info['video_label'] for info in labels],
                                      mil[order].argmax(axis=1))

    def test_weak_val_scored_with_segment_labels(self, ave_meta_root):
        dataset = build(ave_meta_root, 'val', supervision='weakly')
        info = dataset.get_data_info(0)
        assert info['segment_labels'].shape == (10, )
        assert 'video_label' not in info

    def test_use_noisy_adds_background_videos(self, ave_meta_root):
        dataset = build(
            ave_meta_root, 'train', supervision='weakly', use_noisy=True)
        assert len(dataset) == 3339 + 178
        noisy = [dataset.get_data_info(i) for i in range(3339, 3339 + 178)]
        assert {info['video_label'] for info in noisy} == {28}
        assert {info['source'] for info in noisy} == {'noisy'}
        assert noisy[0]['audio_path'].endswith('audio_feature_noisy.h5')
        assert noisy[-1]['row'] == 177

    @pytest.mark.parametrize('supervision,split', [('fully', 'train'),
                                                   ('weakly', 'val')])
    def test_use_noisy_only_for_weak_training(self, ave_small_root,
                                              supervision, split):
        with pytest.raises(ValueError, match='use_noisy'):
            AVEDataset(ave_small_root, split, supervision, use_noisy=True)

    def test_bad_arguments(self, ave_small_root):
        with pytest.raises(ValueError, match='split'):
            AVEDataset(ave_small_root, 'training')
        with pytest.raises(ValueError, match='supervision'):
            AVEDataset(ave_small_root, 'train', supervision='semi')

    @pytest.mark.parametrize('dtype', ['float32', 'float64'])
    def test_pipeline_output(self, ave_small_root, read_h5, dtype):
        dataset = build(
            ave_small_root,
            'val',
            pipeline=[dict(type='LoadAVEFeatures', dtype=dtype),
                      dict(type='PackAVELInputs')],
            test_mode=True)
        packed = dataset[1]
        audio, visual = packed['inputs']['audio'], packed['inputs']['visual']
        assert audio.shape == (10, 128) and visual.shape == (10, 7, 7, 512)
        assert audio.dtype == visual.dtype == getattr(torch, dtype)
        row = dataset.get_data_info(1)['row']
        expected_visual = read_h5(
            os.path.join(ave_small_root, 'visual_feature.h5'))[row]
        np.testing.assert_array_equal(visual.numpy(),
                                      expected_visual.astype(dtype))
        assert visual.abs().sum() > 0
        sample = packed['data_samples']
        assert sample.gt_segment_labels.dtype == torch.long
        np.testing.assert_array_equal(
            sample.gt_segment_labels.numpy(),
            dataset.get_data_info(1)['segment_labels'])
        assert sample.metainfo['sample_idx'] == 1
        assert sample.metainfo['num_classes'] == 28

    def test_weak_sample_packs_video_label(self, ave_small_root):
        dataset = build(
            ave_small_root,
            'train',
            supervision='weakly',
            use_noisy=True,
            pipeline=PIPELINE)
        assert int(dataset[0]['data_samples'].gt_video_label) == \
            dataset.get_data_info(0)['video_label']
        assert int(dataset[len(dataset) - 1]['data_samples'].gt_video_label) \
            == 28

    def test_dataloader_workers_open_own_handles(self, ave_meta_root):
        init_default_scope('mmcpsp')
        pipeline = [
            dict(type='LoadAVEFeaturesWithPid'),
            dict(
                type='PackAVELInputs',
                meta_keys=('sample_idx', 'reader_pid', 'worker_pid'))
        ]
        dataset = build(ave_meta_root, 'val', pipeline=pipeline)
        # Handles opened in this process must not be used by the workers.
        dataset[0]
        loader = Runner.build_dataloader(
            dict(
                batch_size=64,
                num_workers=2,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dataset))
        seen, worker_pids = [], set()
        for batch in loader:
            for sample in batch['data_samples']:
                assert sample.reader_pid == sample.worker_pid != os.getpid()
                worker_pids.add(sample.worker_pid)
                seen.append(sample.sample_idx)
        assert sorted(seen) == list(range(402))
        assert len(worker_pids) == 2

    def test_pickles_small(self, ave_meta_root):
        dataset = build(ave_meta_root, 'train', pipeline=PIPELINE)
        dataset[0]
        data = pickle.dumps(dataset)
        # 3,339 items in about 0.6 MB; the features are 6.3 GiB.
        assert len(data) < 1 << 20
        restored = pickle.loads(data)
        assert len(restored) == 3339
        np.testing.assert_array_equal(restored[5]['inputs']['visual'],
                                      dataset[5]['inputs']['visual'])

    def test_lazy_init(self, ave_small_root):
        dataset = build(ave_small_root, 'test', lazy_init=True)
        assert not dataset._fully_initialized
        assert dataset.metainfo['num_classes'] == 28
        assert len(dataset) == 4
        assert dataset._fully_initialized

    def test_right_labels_and_labels_from_annotations(self, ave_small_root,
                                                      tmp_path):
        reference = build(ave_small_root, 'train')
        expected = [
            reference.get_data_info(i)['segment_labels']
            for i in range(len(reference))
        ]
        for source in ('right_labels.h5', None):
            root = str(tmp_path / str(source))
            shutil.copytree(ave_small_root, root)
            os.remove(os.path.join(root, 'labels.h5'))
            if source:
                shutil.copy(
                    os.path.join(ave_small_root, 'labels.h5'),
                    os.path.join(root, source))
            dataset = build(root, 'train')
            for index, labels in enumerate(expected):
                np.testing.assert_array_equal(
                    dataset.get_data_info(index)['segment_labels'], labels)

    def test_annotation_header_line(self, tmp_path):
        from mmcpsp.testing.synthetic_ave import generate_synthetic_ave
        root = str(tmp_path / 'ave')
        generate_synthetic_ave(
            root, num_videos=30, annotation_header=True, num_noisy=1)
        with open(os.path.join(root, 'Annotations.txt')) as file:
            assert file.readline().startswith('Category&VideoID')
        dataset = AVEDataset(root, 'train')
        assert len(dataset) == 24
        assert dataset.metainfo['classes'][0] == 'Church bell'

    def test_cat_ids(self, ave_small_root):
        dataset = AVEDataset(ave_small_root, 'train', supervision='weakly')
        assert dataset.get_cat_ids(0) == [dataset.get_data_info(0)
                                          ['video_label']]


@TRANSFORMS.register_module(force=True)
class LoadAVEFeaturesWithPid(LoadAVEFeatures):
    """Records which process read the sample and whose handles it used."""

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        results['reader_pid'] = self._pid
        results['worker_pid'] = os.getpid()
        return results


def _slice_h5(src: str, dst: str, rows: np.ndarray) -> None:
    with h5py.File(src, 'r') as source, h5py.File(dst, 'w') as target:
        target.create_dataset('avadataset', data=source['avadataset'][rows])


def test_subset_of_the_release_keeps_released_class_indices(
        ave_meta_root, tmp_path):
    """Every tenth video, without two categories: the released labels,
    sliced, load with the released (canonical) class indices."""
    full = build(ave_meta_root, 'test')
    with open(os.path.join(ave_meta_root, 'Annotations.txt')) as file:
        lines = file.read().splitlines()
    header = lines[0].startswith('Category&')
    body = lines[1:] if header else lines
    dropped = ('Church bell', 'Bark')  # indices 0 and 2 of the release
    rows = np.array([
        row for row in range(0, len(body), 10)
        if body[row].split('&')[0] not in dropped
    ])
    subset = str(tmp_path / 'subset')
    os.makedirs(subset)
    with open(os.path.join(subset, 'Annotations.txt'), 'w') as file:
        file.write('\n'.join(lines[:1] * header + [body[r] for r in rows]))
    for name in ('audio_feature.h5', 'visual_feature.h5', 'labels.h5',
                 'mil_labels.h5'):
        _slice_h5(os.path.join(ave_meta_root, name),
                  os.path.join(subset, name), rows)
    new_row = {int(row): position for position, row in enumerate(rows)}
    for split in ('train', 'val', 'test'):
        with h5py.File(os.path.join(ave_meta_root, f'{split}_order.h5'),
                       'r') as file:
            order = file['order'][()]
        kept = np.array([new_row[r] for r in order if r in new_row])
        with h5py.File(os.path.join(subset, f'{split}_order.h5'),
                       'w') as file:
            file.create_dataset('order', data=kept)

    released = {
        info['row']: info['segment_labels']
        for info in (full.get_data_info(i) for i in range(len(full)))
    }
    dataset = build(subset, 'test')
    assert dataset.metainfo['classes'][:28] == AVE_CATEGORIES
    assert dataset.metainfo['background_index'] == 28
    assert len(dataset) > 0
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        np.testing.assert_array_equal(info['segment_labels'],
                                      released[int(rows[info['row']])])
    weak = build(subset, 'train', supervision='weakly')
    with h5py.File(os.path.join(ave_meta_root, 'mil_labels.h5'), 'r') as f:
        mil = f['avadataset'][()].argmax(axis=1)
    classes = {weak.get_data_info(i)['video_label'] for i in range(len(weak))}
    assert not classes & {0, 2}
    for index in range(len(weak)):
        info = weak.get_data_info(index)
        assert info['video_label'] == mil[rows[info['row']]]
