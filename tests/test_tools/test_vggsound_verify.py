import csv
import hashlib
import importlib.util
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

TOOLS = Path(__file__).parents[2] / 'tools/data/vggsound_avel'
META = 'vggsound-avel100k.csv'


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'vggsound_{name}',
                                                  TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verify = load_tool('verify')
generate = load_tool('generate_synthetic')


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp('vggsound_verify') / 'root'
    assert generate.main([str(root), '--num-videos', '12', '--layout',
                          'both', '--seed', '11']) == 0
    return root


@pytest.fixture
def root(pristine, tmp_path):
    return Path(shutil.copytree(pristine, tmp_path / 'root'))


def digest(folder):
    return {
        os.path.join(directory, name): hashlib.sha256(
            Path(directory, name).read_bytes()).hexdigest()
        for directory, _, names in os.walk(folder) for name in names
    }


def problems(output):
    return [line for line in output.splitlines()
            if line.startswith('PROBLEM: ')]


@pytest.mark.parametrize('layout', ['zip', 'hdf5'])
def test_clean_data_root(pristine, layout, capsys):
    assert verify.main([str(pristine), '--layout', layout]) == 0
    captured = capsys.readouterr()
    output = captured.out
    assert 'OK' in output and problems(output) == []
    assert 'train 8, val 2, test 2' in output
    # Off a terminal, each long pass ends with one line of its rate.
    expected = ('Reading the zips: 12 videos in ' if layout == 'zip' else
                'visual.h5: 12 rows in ')
    assert expected in captured.err, captured.err


def test_generator_shows_progress(tmp_path, capsys):
    assert generate.main([str(tmp_path / 'g'), '--num-videos', '3',
                          '--layout', 'both']) == 0
    err = capsys.readouterr().err
    assert 'Writing zips: 3 videos in ' in err
    assert 'Writing HDF5: 3 videos in ' in err


def test_lists_every_problem_and_writes_nothing(root, capsys):
    with open(root / META, newline='') as file:
        rows = list(csv.reader(file))
    rows[2][2] = 'dev'
    rows[3][1] = 'Unheard-of event'
    with open(root / META, 'w', newline='') as file:
        csv.writer(file).writerows(rows)
    ids = [row[0] for row in rows[4:]]
    os.remove(root / 'visual_features' / f'{ids[0]}.zip')
    (root / 'audio_features' / f'{ids[1]}.zip').write_bytes(b'garbage')
    audio = np.ones((10, 128), np.float32)
    audio[2, 5] = np.nan
    with zipfile.ZipFile(root / 'audio_features' / f'{ids[2]}.zip',
                         'w') as archive:
        archive.writestr(f'{ids[2]}.pkl', pickle.dumps(audio))
    with zipfile.ZipFile(root / 'labels' / f'{ids[3]}.zip', 'w') as archive:
        archive.writestr(f'{ids[3]}.pkl', pickle.dumps(np.full(10, 3)))
    before = digest(root)

    assert verify.main([str(root), '--layout', 'zip']) == 1
    output = capsys.readouterr().out
    found = problems(output)
    expected = [
        "key 'split', row 3", "key 'category', row 4",
        f'visual_features/{ids[0]}.zip: expected the zip',
        f'audio_features/{ids[1]}.zip: expected a complete, readable zip',
        f'audio_features/{ids[2]}.zip: expected finite values',
        f'labels/{ids[3]}.zip: expected a binary mask'
    ]
    assert len(found) == len(expected)
    for fragment in expected:
        assert any(fragment in line for line in found), fragment
    assert '6 problem(s) found' in output
    assert digest(root) == before


def test_hdf5_problems(root, capsys):
    with h5py.File(root / 'hdf5' / 'index.h5', 'r') as file:
        ids = list(file['video_id'].asstr()[()])
    with h5py.File(root / 'hdf5' / 'visual.h5', 'r+') as file:
        file['visual'][5, 0, 0, 0, 0] = np.nan
        file['visual'][8, 9, 6, 6, 1023] = np.inf
    with h5py.File(root / 'hdf5' / 'labels.h5', 'r+') as file:
        file['labels'][7, 2] = 4
    assert verify.main([str(root)]) == 1
    found = problems(capsys.readouterr().out)
    assert len(found) == 2
    assert f"key 'visual', row 5 (video {ids[5]})" in found[0]
    assert 'in 2 row(s)' in found[0]
    assert f"key 'labels', row 7 (video {ids[7]})" in found[1]


def test_missing_files(root, capsys):
    os.remove(root / META)
    os.remove(root / 'VggsoundAVEL100kCategories.txt')
    assert verify.main([str(root)]) == 1
    found = problems(capsys.readouterr().out)
    assert len(found) == 2
    assert all('no such file' in line for line in found)


def test_generator_refuses_a_non_empty_folder(pristine, capsys):
    before = digest(pristine)
    assert generate.main([str(pristine), '--num-videos', '3']) == 1
    assert 'not empty' in capsys.readouterr().err
    assert digest(pristine) == before
