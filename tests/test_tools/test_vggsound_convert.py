import hashlib
import importlib.util
import multiprocessing
import os
import re
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from mmcpsp.testing.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)

TOOL = Path(__file__).parents[2] / 'tools/data/vggsound_avel/convert_to_hdf5.py'
NUM_VIDEOS = 14
OUTPUTS = ('audio.h5', 'visual.h5', 'labels.h5', 'index.h5')


def load_tool():
    spec = importlib.util.spec_from_file_location('vggsound_convert', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


convert = load_tool()


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    root = tmp_path_factory.mktemp('vggsound_convert') / 'root'
    generate_synthetic_vggsound_avel(str(root), NUM_VIDEOS, layout='both',
                                     seed=7)
    return root


@pytest.fixture(scope='module')
def straight(source, tmp_path_factory):
    """An uninterrupted conversion, float16, 4 videos per batch."""
    dst = tmp_path_factory.mktemp('straight') / 'hdf5'
    assert convert.main([str(source), str(dst), '--float16',
                         '--batch-videos', '4']) == 0
    return dst


def digest(folder, names=None):
    names = names or sorted(os.listdir(folder))
    return {
        name: hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest()
        for name in names
    }


def tree_digest(folder):
    return {
        os.path.join(directory, name): digest(directory, [name])[name]
        for directory, _, names in os.walk(folder) for name in names
    }


def test_output_holds_the_zips_values(source, straight):
    # The generator writes the same values straight to HDF5.
    direct = source / 'hdf5'
    for name, key in [('audio.h5', 'audio'), ('audio.h5', 'audio_length'),
                      ('visual.h5', 'visual'), ('labels.h5', 'labels'),
                      ('index.h5', 'video_id')]:
        with h5py.File(straight / name) as ours, \
                h5py.File(direct / name) as theirs:
            assert ours[key].dtype == theirs[key].dtype
            np.testing.assert_array_equal(ours[key][()], theirs[key][()])
    with h5py.File(straight / 'visual.h5') as file:
        assert file['visual'].chunks == (1, 10, 7, 7, 1024)
        assert file['visual'].compression is None
    assert not (straight / convert.PROGRESS_FILE).exists()


def test_source_is_not_modified(source, tmp_path):
    before = tree_digest(source)
    assert convert.main([str(source), str(tmp_path / 'out')]) == 0
    assert tree_digest(source) == before
    with h5py.File(tmp_path / 'out' / 'visual.h5') as file:
        assert file['visual'].dtype == np.float32


def test_resume_after_stop_is_identical(source, straight, tmp_path):
    dst = tmp_path / 'hdf5'
    args = [str(source), str(dst), '--float16', '--batch-videos', '4']
    assert convert.main(args + ['--stop-after', '6']) == convert.EXIT_STOPPED
    assert not (dst / 'index.h5').exists()
    assert (dst / convert.PROGRESS_FILE).exists()
    assert convert.main(args) == 0
    assert digest(dst, OUTPUTS) == digest(straight, OUTPUTS)


def _crash_in_child(args, crash_at):
    """Convert, dying without any clean-up once ``crash_at`` batches are
    written but before their progress is recorded."""
    module = load_tool()
    real_save = module._save_progress

    def save_or_die(path, state):
        if state['done'] >= crash_at:
            os._exit(9)
        real_save(path, state)

    module._save_progress = save_or_die
    module.main(args)


@pytest.mark.parametrize('crash_at', [4, 12])
def test_resume_after_a_hard_kill_is_identical(source, straight, tmp_path,
                                              crash_at):
    dst = tmp_path / 'hdf5'
    args = [str(source), str(dst), '--float16', '--batch-videos', '4']
    child = multiprocessing.get_context('fork').Process(
        target=_crash_in_child, args=(args, crash_at))
    child.start()
    child.join()
    assert child.exitcode == 9
    assert not (dst / 'index.h5').exists()
    assert convert.main(args) == 0
    assert digest(dst, OUTPUTS) == digest(straight, OUTPUTS)


def test_resume_after_an_error_while_reading(source, straight, tmp_path,
                                             monkeypatch):
    dst = tmp_path / 'hdf5'
    args = [str(source), str(dst), '--float16', '--batch-videos', '4']
    real_load = convert.load_zipped_array
    calls = []

    def fail_later(path):
        calls.append(path)
        if len(calls) == 3 * 7:  # the 7th video, inside the 2nd batch
            raise KeyboardInterrupt
        return real_load(path)

    monkeypatch.setattr(convert, 'load_zipped_array', fail_later)
    with pytest.raises(KeyboardInterrupt):
        convert.main(args)
    monkeypatch.setattr(convert, 'load_zipped_array', real_load)
    assert convert.main(args) == 0
    assert digest(dst, OUTPUTS) == digest(straight, OUTPUTS)


def test_resume_with_other_options_is_refused(source, tmp_path, capsys):
    dst = tmp_path / 'hdf5'
    args = [str(source), str(dst), '--batch-videos', '4']
    assert convert.main(args + ['--stop-after', '4']) == convert.EXIT_STOPPED
    assert convert.main(args + ['--float16']) == 1
    assert 'other sources or options' in capsys.readouterr().err


def test_foreign_files_are_not_overwritten(source, tmp_path, capsys):
    dst = tmp_path / 'hdf5'
    dst.mkdir()
    (dst / 'visual.h5').write_bytes(b'precious')
    assert convert.main([str(source), str(dst)]) == 1
    assert 'refusing to overwrite' in capsys.readouterr().err
    assert (dst / 'visual.h5').read_bytes() == b'precious'


def test_verification_catches_a_damaged_row(source, tmp_path, capsys):
    dst = tmp_path / 'hdf5'
    args = [str(source), str(dst), '--batch-videos', '4']
    assert convert.main(args + ['--stop-after', '4']) == convert.EXIT_STOPPED
    with h5py.File(dst / 'visual.h5', 'r+') as file:
        file['visual'][2, 0, 0, 0, :4] = 123.0
    assert convert.main(args + ['--verify', 'full']) == 1
    assert 'row 2' in capsys.readouterr().err
    assert not (dst / 'index.h5').exists()


def test_bad_zip_stops_the_conversion(source, tmp_path, capsys):
    src = Path(shutil.copytree(source, tmp_path / 'src'))
    video_id = sorted(os.listdir(src / 'labels'))[0]
    (src / 'labels' / video_id).write_bytes(b'broken')
    assert convert.main([str(src), str(tmp_path / 'out')]) == 2
    error = capsys.readouterr().err
    assert str(src / 'labels' / video_id) in error
    assert 'truncated or corrupt zip' in error


def test_progress_with_rate(source, tmp_path, capsys):
    assert convert.main([str(source), str(tmp_path / 'out'),
                         '--batch-videos', '4']) == 0
    err = capsys.readouterr().err
    assert re.search(r'^Converting: \d+ videos in [\d.]+ s \([\d.]+ '
                     r'(videos/s|s each)\)$', err, re.MULTILINE), err


def test_finished_conversion_is_left_alone(straight, source, capsys):
    before = digest(straight)
    assert convert.main([str(source), str(straight)]) == 0
    assert 'nothing to do' in capsys.readouterr().out
    assert digest(straight) == before
