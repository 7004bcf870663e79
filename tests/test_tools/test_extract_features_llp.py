"""tools/data/extract_features.py --recipe llp on generated videos, random
weight files in the published layouts. The tool's ``main`` runs in this
process (the AVE tests run it as a subprocess, killed halfway included),
which saves the imports of each run."""
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
from tool_runner import REPO_ROOT

from mmcpsp.datasets.llp.files import (
    FEATURE_DIRS,
    FEATURE_SHAPES,
    feature_file,
    load_features,
)
from mmcpsp.testing import random_image, write_test_video
from mmcpsp.testing.weights import (
    write_random_r2plus1d_18,
    write_random_torchvision_resnet,
    write_random_vggish,
)

TOOL = 'tools/data/extract_features.py'
_spec = importlib.util.spec_from_file_location('extract_features',
                                               osp.join(REPO_ROOT, TOOL))
extract_features = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(extract_features)

#: (folder, features per second, width) of the LLP release's feats/.
LAYOUT = (('vggish', 1, 128), ('res152', 8, 2048), ('r2plus1d_18', 1, 512))


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp('llp_weights')
    paths = [str(folder / name) for name in
             ('vggish.pth', 'resnet152.pth', 'r2plus1d_18.pth')]
    write_random_vggish(paths[0])
    write_random_torchvision_resnet(paths[1], depth=152)
    write_random_r2plus1d_18(paths[2])
    return ['--audio-weights', paths[0], '--res152-weights', paths[1],
            '--r2plus1d-weights', paths[2]]


def quick(*extra: str) -> list:
    """Small frames: seconds per video; the code path of 224 / 112."""
    return ['--recipe', 'llp', '--frame-size', '32', '--clip-size', '32',
            '--workers', '0', *extra]


def feature_path(out, folder: str, name: str) -> str:
    return osp.join(out, 'feats', folder, f'{name}.npy')


def run_main(argv: list, capsys) -> tuple:
    """(exit status, stdout, stderr) of the tool's main."""
    status = extract_features.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_llp_recipe_failures_then_resume(weights, tmp_path, capsys):
    videos = tmp_path / 'videos'
    videos.mkdir()
    # An LLP-style name (the YouTube id), 2 s with sound at 25 fps; a
    # silent 1 s lossless one; a broken file.
    write_test_video(str(videos / '-4ZsUVbRG4E.mp4'),
                     [random_image(seed) for seed in range(2)],
                     tones=[440, 1500], fps=25)
    write_test_video(str(videos / 'silent.mkv'), [random_image(2)],
                     encoding='lossless')
    (videos / 'broken.mp4').write_bytes(b'not a video' * 50)
    out = tmp_path / 'out'
    command = [str(videos), str(out), *weights, *quick()]
    status, stdout, stderr = run_main(command, capsys)
    assert status == 1, stderr[-3000:]
    assert '1 video(s) failed' in stderr
    failures = (out / 'failures.txt').read_text().splitlines()
    assert len(failures) == 1 and failures[0].startswith('broken\t')
    for name, seconds in (('-4ZsUVbRG4E', 2), ('silent', 1)):
        for folder, per_second, width in LAYOUT:
            array = np.load(feature_path(out, folder, name))
            assert array.shape == (seconds * per_second, width), folder
            assert array.dtype == np.float32
            assert np.isfinite(array).all()
    kept = open(feature_path(out, 'res152', '-4ZsUVbRG4E'), 'rb').read()
    silent = {folder: np.load(feature_path(out, folder, 'silent'))
              for folder, _, _ in LAYOUT}

    # A run killed in the middle of 'silent': one of its files written, a
    # temporary file left behind.
    os.remove(videos / 'broken.mp4')
    os.remove(feature_path(out, 'vggish', 'silent'))
    stale = osp.join(out, 'feats', 'res152', '.silent.npy.abc.tmp')
    with open(stale, 'wb') as file:
        file.write(b'half')
    status, stdout, stderr = run_main(command, capsys)
    assert status == 0, stderr[-3000:]
    assert '1 of 2 videos already done, 1 to extract' in stdout
    assert not osp.exists(stale)
    assert not (out / 'failures.txt').exists()
    for folder, array in silent.items():
        np.testing.assert_allclose(
            np.load(feature_path(out, folder, 'silent')), array, rtol=1e-5,
            atol=1e-6)
    assert open(feature_path(out, 'res152', '-4ZsUVbRG4E'),
                'rb').read() == kept
    status, stdout, _ = run_main(command, capsys)
    assert status == 0
    assert '2 of 2 videos already done, 0 to extract' in stdout


@pytest.mark.parametrize('argv, message', [
    (['--recipe', 'llp', '--res152-weights', 'r.pth'],
     '--recipe llp needs --res152-weights and --r2plus1d-weights'),
    (['--recipe', 'llp', '--res152-weights', 'r.pth', '--r2plus1d-weights',
      'x.pth', '--visual-weights', 'v.pth'],
     '--visual-weights is an option of --recipe ave'),
    (['--recipe', 'llp', '--res152-weights', 'r.pth', '--r2plus1d-weights',
      'x.pth', '--layout', 'npy'], '--layout is an option of --recipe ave'),
    (['--visual-weights', 'v.pth', '--layout', 'npy', '--clip-size', '64'],
     '--clip-size is an option of --recipe llp'),
    (['--layout', 'npy'], '--recipe ave needs --visual-weights'),
])
def test_arguments_of_each_recipe(argv, message, capsys):
    with pytest.raises(SystemExit) as error:
        extract_features.parse_args(
            ['videos', 'out', '--audio-weights', 'a.pth', *argv])
    assert error.value.code == 2
    assert message in capsys.readouterr().err


def test_llp_defaults():
    args = extract_features.parse_args([
        'videos', 'out', '--recipe', 'llp', '--audio-weights', 'a.pth',
        '--res152-weights', 'r.pth', '--r2plus1d-weights', 'x.pth'])
    assert (args.frame_size, args.clip_size, args.layout) == (224, 112, 'llp')
    args = extract_features.parse_args([
        'videos', 'out', '--audio-weights', 'a.pth', '--visual-weights',
        'v.pth', '--layout', 'npy'])
    assert (args.frames_per_segment, args.clip_size) == (16, None)


@pytest.mark.slow
def test_ten_second_clip_reads_as_a_release_file(weights, tmp_path, capsys):
    """A 10 s LLP clip gives files of the release's shapes, which the
    loader of LLPDataset accepts."""
    videos = tmp_path / 'videos'
    videos.mkdir()
    write_test_video(str(videos / 'BjCEufrlXm4.mp4'),
                     [random_image(seed) for seed in range(10)],
                     tones=[440 + 100 * second for second in range(10)],
                     fps=30, sample_rate=44100)
    out = tmp_path / 'llp'
    status, _, stderr = run_main(
        [str(videos), str(out), *weights, *quick()], capsys)
    assert status == 0, stderr[-3000:]
    for kind, folder in FEATURE_DIRS.items():
        features = load_features(
            osp.join(out, folder, feature_file('BjCEufrlXm4_20_30')), kind)
        assert features.shape == FEATURE_SHAPES[kind]
