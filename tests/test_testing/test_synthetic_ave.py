import filecmp
import importlib.util
import os

import h5py
import numpy as np
import pytest

from mmcpsp.datasets.ave.annotations import AVE_CATEGORIES, parse_annotations
from mmcpsp.testing.synthetic_ave import generate_synthetic_ave

REPO_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LAYOUT = {
    'audio_feature.h5': ((None, 10, 128), np.float64),
    'visual_feature.h5': ((None, 10, 7, 7, 512), np.float64),
    'labels.h5': ((None, 10, 29), np.float32),
    'mil_labels.h5': ((None, 29), np.float32),
    'labels_closs.h5': ((None, 10), np.float32),
    'prob_label.h5': ((None, 29), np.float32),
    'audio_feature_noisy.h5': ((6, 10, 128), np.float64),
    'visual_feature_noisy.h5': ((6, 10, 7, 7, 512), np.float64),
    'labels_noisy.h5': ((6, 29), np.float32),
}


def read(path, key='avadataset'):
    with h5py.File(path, 'r') as h5_file:
        return h5_file[key][()]


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(REPO_ROOT, 'tools', 'data', 'ave', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestGenerateSyntheticAVE:

    def test_release_layout(self, ave_small_root):
        for name, (shape, dtype) in LAYOUT.items():
            with h5py.File(os.path.join(ave_small_root, name), 'r') as file:
                assert list(file) == ['avadataset'], name
                dataset = file['avadataset']
                assert dataset.dtype == dtype, name
                assert dataset.shape[0] == (shape[0] or 40), name
                assert dataset.shape[1:] == shape[1:], name
        orders = [
            read(os.path.join(ave_small_root, f'{split}_order.h5'), 'order')
            for split in ('train', 'val', 'test')
        ]
        assert [len(order) for order in orders] == [32, 4, 4]
        assert all(order.dtype == np.int64 for order in orders)
        np.testing.assert_array_equal(
            np.sort(np.concatenate(orders)), np.arange(40))
        annotations = parse_annotations(
            os.path.join(ave_small_root, 'Annotations.txt'), AVE_CATEGORIES)
        assert annotations.categories == AVE_CATEGORIES
        assert annotations.header_lines == 0
        labels = read(os.path.join(ave_small_root, 'labels.h5'))
        np.testing.assert_array_equal(labels.argmax(-1),
                                      annotations.segment_labels())
        mil = read(os.path.join(ave_small_root, 'mil_labels.h5'))
        np.testing.assert_array_equal(mil.argmax(-1),
                                      annotations.class_indices)
        noisy = read(os.path.join(ave_small_root, 'labels_noisy.h5'))
        assert (noisy.argmax(-1) == 28).all() and (noisy.sum(-1) == 1).all()

    def test_follows_real_meta(self, ave_meta_root, ave_meta_dir):
        for name in ('Annotations.txt', 'mil_labels.h5', 'train_order.h5',
                     'val_order.h5', 'test_order.h5'):
            assert filecmp.cmp(
                os.path.join(ave_meta_root, name),
                os.path.join(ave_meta_dir, name),
                shallow=False), name
        # labels_closs.h5 is written from the annotations, not copied: it
        # must equal the real one.
        np.testing.assert_array_equal(
            read(os.path.join(ave_meta_root, 'labels_closs.h5')),
            read(os.path.join(ave_meta_dir, 'labels_closs.h5')))
        with h5py.File(os.path.join(ave_meta_root, 'visual_feature.h5'),
                       'r') as file:
            assert file['avadataset'].shape == (4143, 10, 7, 7, 512)
        with h5py.File(
                os.path.join(ave_meta_root, 'visual_feature_noisy.h5'),
                'r') as file:
            assert file['avadataset'].shape == (178, 10, 7, 7, 512)

    def test_compression_does_not_change_values(self, tmp_path):
        values = {}
        for compression in ('none', 'gzip'):
            root = str(tmp_path / compression)
            generate_synthetic_ave(
                root, num_videos=28, seed=3, compression=compression,
                num_noisy=1)
            with h5py.File(os.path.join(root, 'visual_feature.h5'),
                           'r') as file:
                dataset = file['avadataset']
                assert (dataset.chunks is None) == (compression == 'none')
                assert dataset.compression == (
                    None if compression == 'none' else 'gzip')
                values[compression] = dataset[::9]
        np.testing.assert_array_equal(values['none'], values['gzip'])

    def test_seeded(self, tmp_path):
        audio = []
        for name, seed in (('a', 5), ('b', 5), ('c', 6)):
            generate_synthetic_ave(
                str(tmp_path / name), num_videos=28, seed=seed, num_noisy=1)
            audio.append(read(str(tmp_path / name / 'audio_feature.h5')))
        np.testing.assert_array_equal(audio[0], audio[1])
        assert not np.array_equal(audio[0], audio[2])

    def test_events_need_audio_visual_correspondence(self, tmp_path):
        root = str(tmp_path / 'ave')
        generate_synthetic_ave(root, num_videos=200, seed=2, num_noisy=1)
        labels = read(os.path.join(root, 'labels.h5')).argmax(-1)
        audio = read(os.path.join(root, 'audio_feature.h5'))
        # The strongest region per channel: [N, T, 512].
        visual = read(os.path.join(root, 'visual_feature.h5')).max(
            axis=(2, 3))
        train = read(os.path.join(root, 'train_order.h5'), 'order')
        test = np.concatenate([
            read(os.path.join(root, f'{split}_order.h5'), 'order')
            for split in ('val', 'test')
        ])

        def fit(features):
            segments = features[train].reshape(-1, features.shape[-1])
            targets = labels[train].ravel()
            return np.stack([
                segments[targets == index].mean(axis=0)
                for index in range(29)
            ])

        def nearest(features, centroids):
            segments = features[test].reshape(-1, features.shape[-1])
            distances = ((segments[:, None] - centroids[None])**2).sum(-1)
            return distances.argmin(axis=1), distances

        targets = labels[test].ravel()
        majority = (targets == np.bincount(labels[train].ravel()).argmax())
        single_modality = []
        for features in (audio, visual):
            predicted, _ = nearest(features, fit(features))
            single_modality.append((predicted == targets).mean())
        # An event is where audio and vision show the same class.
        audio_class, audio_dist = nearest(audio, fit(audio)[:28])
        visual_class, visual_dist = nearest(visual, fit(visual)[:28])
        quiet = nearest(audio, fit(audio)[28:])[1][:, 0] < audio_dist.min(1)
        empty = (visual[test].reshape(-1, 512) == 0).all(axis=1)
        predicted = np.where((audio_class == visual_class) & ~quiet & ~empty,
                             audio_class, 28)
        correspondence = (predicted == targets).mean()
        assert correspondence > 0.97
        assert correspondence > max(single_modality) + 0.03
        assert correspondence > majority.mean() + 0.5

    def test_refuses_to_overwrite(self, ave_copy):
        before = os.stat(os.path.join(ave_copy, 'labels.h5')).st_mtime_ns
        with pytest.raises(FileExistsError, match='refusing to overwrite'):
            generate_synthetic_ave(ave_copy, num_videos=28, num_noisy=1)
        assert os.stat(os.path.join(ave_copy,
                                    'labels.h5')).st_mtime_ns == before
        generate_synthetic_ave(
            ave_copy, num_videos=28, num_noisy=1, overwrite=True,
            right_labels=True)
        assert not os.path.exists(os.path.join(ave_copy, 'labels.h5'))
        assert read(os.path.join(ave_copy, 'right_labels.h5')).shape == (
            28, 10, 29)

    def test_bad_arguments(self, tmp_path):
        with pytest.raises(ValueError, match='at least 28'):
            generate_synthetic_ave(str(tmp_path / 'a'), num_videos=27)
        with pytest.raises(ValueError, match='compression'):
            generate_synthetic_ave(str(tmp_path / 'b'), compression='zstd')

    def test_tool(self, tmp_path, capsys):
        tool = load_tool('generate_synthetic')
        out = str(tmp_path / 'ave')
        assert tool.main([out, '--num-videos', '30', '--num-noisy', '2',
                          '--compression', 'gzip',
                          '--annotation-header']) == 0
        captured = capsys.readouterr()
        printed = captured.out
        assert 'wrote 30 videos (train 24, val 3, test 3)' in printed
        assert 'Writing visual_feature.h5: 30 videos in ' in captured.err
        assert 'Writing visual_feature_noisy.h5: 2 videos in ' in (
            captured.err)
        assert 'MiB on disk' in printed
        assert tool.main([out, '--num-videos', '30']) == 1
        assert 'refusing to overwrite' in capsys.readouterr().err
