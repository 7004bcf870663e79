import csv
import os

import numpy as np

from mmcpsp.datasets.vggsound_avel.safe_pickle import load_zipped_array
from mmcpsp.testing.synthetic_vggsound_avel import (
    SyntheticVGGSoundAVEL,
    generate_synthetic_vggsound_avel,
)


def test_same_seed_same_files(tmp_path):
    first = generate_synthetic_vggsound_avel(str(tmp_path / 'a'), 6, seed=1)
    generate_synthetic_vggsound_avel(str(tmp_path / 'b'), 6, seed=1)
    for name in ('vggsound-avel100k.csv', 'VggsoundAVEL100kCategories.txt'):
        assert (tmp_path / 'a' / name).read_bytes() == (
            tmp_path / 'b' / name).read_bytes()
    for folder in ('audio_features', 'visual_features', 'labels'):
        for video_id in first.video_ids:
            np.testing.assert_array_equal(
                load_zipped_array(str(tmp_path / 'a' / folder /
                                      f'{video_id}.zip')),
                load_zipped_array(str(tmp_path / 'b' / folder /
                                      f'{video_id}.zip')))
    other = SyntheticVGGSoundAVEL(6, seed=2)
    assert other.video_ids != first.video_ids


def test_distributed_format(tmp_path):
    data = generate_synthetic_vggsound_avel(str(tmp_path), 10, seed=0)
    with open(tmp_path / 'vggsound-avel100k.csv', newline='') as file:
        rows = list(csv.reader(file))
    assert rows[0] == ['video_id', 'category', 'split']
    names = (tmp_path / 'VggsoundAVEL100kCategories.txt').read_text(
    ).splitlines()
    assert len(names) == 141 and any(',' in name for name in names)
    assert [row[2] for row in rows[1:6]] == ['train'] * 3 + ['val', 'test']
    for video_id, category, _ in rows[1:]:
        index = data.video_ids.index(video_id)
        assert names.index(category) == data.class_indices[index]
        audio = load_zipped_array(
            str(tmp_path / 'audio_features' / f'{video_id}.zip'))
        visual = load_zipped_array(
            str(tmp_path / 'visual_features' / f'{video_id}.zip'))
        label = load_zipped_array(str(tmp_path / 'labels' / f'{video_id}.zip'))
        assert audio.shape[1] == 128 and audio.dtype == np.float32
        assert visual.shape == (10, 1024, 7, 7)
        assert visual.dtype == np.float32
        assert label.shape in ((10, ), (1, 10))
        assert set(np.unique(label)) <= {0, 1} and label.sum() >= 1
    assert sorted(os.listdir(tmp_path)) == [
        'VggsoundAVEL100kCategories.txt', 'audio_features', 'labels',
        'vggsound-avel100k.csv', 'visual_features'
    ]


def test_audio_lengths_vary():
    data = SyntheticVGGSoundAVEL(200, seed=0)
    lengths = [len(data.video(index)[0]) for index in range(200)]
    assert lengths.count(10) > 120
    assert min(lengths) < 10 < max(lengths)


def segment_features(data, index):
    """Per segment: audio and the visual map summed over regions."""
    audio, visual, mask = data.video(index)
    audio = np.concatenate([audio, np.repeat(audio[-1:], 10, 0)])[:10]
    pooled = visual.astype(np.float32).reshape(10, 49, -1).sum(1)
    labels = np.where(mask == 1, data.class_indices[index], data.num_classes)
    return np.concatenate([audio, pooled], axis=1), labels


def test_events_are_learnable():
    """A nearest-class-mean classifier fitted on 300 videos labels the
    segments of 100 other videos (10 classes + background) almost all
    right, far more than predicting the most frequent label would."""
    data = SyntheticVGGSoundAVEL(400, num_classes=10, seed=0)
    features, labels = zip(*(segment_features(data, i) for i in range(400)))
    features, labels = np.concatenate(features), np.concatenate(labels)
    train, test = slice(0, 3000), slice(3000, 4000)
    means = np.stack([
        features[train][labels[train] == label].mean(0)
        for label in range(11)
    ])
    distances = ((features[test, None] - means[None])**2).sum(-1)
    accuracy = (distances.argmin(1) == labels[test]).mean()
    assert accuracy > 0.95
    majority = np.bincount(labels[test]).max() / len(labels[test])
    assert majority < 0.75
