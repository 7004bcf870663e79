"""The synthetic LLP generator: layout, quirks, learnable labels."""
import os

import numpy as np
import pytest

from mmcpsp.datasets.llp import annotations as ann
from mmcpsp.datasets.llp.files import FEATURE_DIRS, FEATURE_SHAPES
from mmcpsp.testing import generate_synthetic_llp


@pytest.fixture(scope='module')
def parsed(tiny_llp_root):
    def path(name):
        return os.path.join(tiny_llp_root, name)

    return dict(
        splits={split: ann.parse_weak_labels(path(name))
                for split, name in ann.SPLIT_FILES.items()},
        full=ann.parse_weak_labels(path(ann.FULL_FILE)),
        audio=ann.parse_dense_annotations(path(ann.AUDIO_EVAL_FILE)),
        visual=ann.parse_dense_annotations(path(ann.VISUAL_EVAL_FILE)))


def test_layout(tiny_llp_root, parsed):
    splits = parsed['splits']
    assert [splits[s].num_videos for s in ('train', 'val', 'test')] == [
        32, 4, 4]
    assert parsed['full'].filenames == sum(
        (splits[s].filenames for s in ('train', 'val', 'test')), ())
    for filename in parsed['full'].filenames:
        for kind, folder in FEATURE_DIRS.items():
            path = os.path.join(tiny_llp_root, folder,
                                f'{filename[:11]}.npy')
            array = np.load(path)
            assert array.shape == FEATURE_SHAPES[kind]
            assert array.dtype == np.float32
    assert all(1 <= len(c) <= 3 for c in parsed['full'].classes)
    # Dense rows for val and test videos only.
    named = {e.filename for kind in ('audio', 'visual')
             for e in parsed[kind].events}
    assert not named & set(splits['train'].filenames)
    assert set(splits['val'].filenames) <= named
    assert set(splits['test'].filenames) <= named


def test_the_release_quirks_are_there(tiny_llp_root, parsed):
    filenames = parsed['full'].filenames
    ids = [name[:11] for name in filenames]
    assert any(video_id.startswith('-') for video_id in ids)
    assert any('_' in video_id for video_id in ids)
    assert any('.' in name for name in filenames)
    audio, visual = parsed['audio'], parsed['visual']
    assert any(e.onset == e.offset for e in audio.empty_events())
    assert any(e.onset > e.offset for e in audio.empty_events())
    assert audio.orphan_events(filenames)
    assert visual.orphan_events(filenames)
    val, test = parsed['splits']['val'], parsed['splits']['test']
    assert audio.covered(val.filenames) < val.num_videos
    assert visual.covered(test.filenames) < test.num_videos
    with open(os.path.join(tiny_llp_root, ann.TEST_FILE)) as file:
        labels = [line.split('\t')[1].split(',')
                  for line in file.read().splitlines()[1:]]
    assert any(len(names) > len(set(names)) for names in labels)


def test_labels_are_learnable(tmp_path):
    """Heard seconds stand out in the audio, seen ones in both visual
    streams, and a class looks alike wherever it occurs."""
    root = str(tmp_path / 'llp')
    generate_synthetic_llp(root, num_videos=100, seed=4)
    weak = (ann.parse_weak_labels(os.path.join(root, ann.VAL_FILE)).filenames
            + ann.parse_weak_labels(os.path.join(root,
                                                 ann.TEST_FILE)).filenames)
    truth = {
        kind: ann.parse_dense_annotations(os.path.join(
            root, name)).ground_truth(weak)
        for kind, name in (('audio', ann.AUDIO_EVAL_FILE),
                           ('visual', ann.VISUAL_EVAL_FILE))
    }
    streams = dict(
        audio=('audio', 'feats/vggish', 1),
        visual=('visual', 'feats/res152', 8),
        visual_st=('visual', 'feats/r2plus1d_18', 1))
    for kind, (modality, folder, per_second) in streams.items():
        feats = np.stack([
            np.load(os.path.join(root, folder, f'{name[:11]}.npy'))
            for name in weak
        ]).reshape(len(weak), 10, per_second, -1)[:, :, 0]
        labels = truth[modality].reshape(-1, 25)
        feats = feats.reshape(len(labels), -1)
        norms = np.linalg.norm(feats, axis=1)
        active = labels.any(axis=1)
        assert active.any() and (~active).any()
        assert norms[~active].max() < norms[active].min(), kind
        single = labels.sum(axis=1) == 1
        units = feats[single] / norms[single, None]
        classes = labels[single].argmax(axis=1)
        cosine = units @ units.T
        same = classes[:, None] == classes[None, :]
        assert cosine[same].min() > 0.5 > cosine[~same].max(), kind


def test_seeds_and_arguments(tmp_path):
    first, second = str(tmp_path / 'a'), str(tmp_path / 'b')
    info = generate_synthetic_llp(first, num_videos=10, seed=1)
    assert info['splits'] == dict(train=6, val=2, test=2)
    assert info['bytes'] == sum(
        os.path.getsize(os.path.join(first, folder, name))
        for folder in FEATURE_DIRS.values()
        for name in os.listdir(os.path.join(first, folder)))
    generate_synthetic_llp(second, num_videos=10, seed=2)
    with open(os.path.join(first, ann.TRAIN_FILE)) as file_a, open(
            os.path.join(second, ann.TRAIN_FILE)) as file_b:
        assert file_a.read() != file_b.read()
    with pytest.raises(FileExistsError, match='overwrite'):
        generate_synthetic_llp(first, num_videos=10, seed=1)
    generate_synthetic_llp(first, num_videos=12, seed=1, overwrite=True)
    assert len(os.listdir(os.path.join(first, 'feats', 'vggish'))) == 12
    with pytest.raises(ValueError, match='at least 10'):
        generate_synthetic_llp(str(tmp_path / 'c'), num_videos=9)
