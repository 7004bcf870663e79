import hashlib
import importlib.util
import os
import re
import shutil
import tracemalloc

import h5py
import numpy as np
import pytest

REPO_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope='module')
def verify_tool():
    spec = importlib.util.spec_from_file_location(
        'ave_verify', os.path.join(REPO_ROOT, 'tools/data/ave/verify.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def ave_folder(tiny_ave_root, tmp_path):
    root = str(tmp_path / 'ave')
    shutil.copytree(tiny_ave_root, root)
    return root


def edit_h5(path, edit, key='avadataset'):
    """Rewrite an HDF5 file with ``edit`` applied to its array."""
    with h5py.File(path, 'r') as h5_file:
        data = h5_file[key][()]
    data = edit(data)
    os.remove(path)
    with h5py.File(path, 'w') as h5_file:
        h5_file.create_dataset(key, data=data)


def set_value(index, value):

    def edit(data):
        data[index] = value
        return data

    return edit


def digest(folder):
    state = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), 'rb') as file:
            state[name] = hashlib.sha256(file.read()).hexdigest()
    return state


class TestVerifyAVE:

    def test_clean_folder(self, verify_tool, tiny_ave_root, capsys):
        assert verify_tool.main([tiny_ave_root, '--supervision',
                                 'weakly']) == 0
        captured = capsys.readouterr()
        out = captured.out
        assert 'no problems found' in out
        # The value passes show progress: off a terminal, a summary each.
        for name in ('audio_feature.h5', 'visual_feature.h5'):
            assert re.search(rf'Checking the values of \S+{name}: 50 rows '
                             r'in [\d.]+ s \([\d.]+ (rows/s|s each)\)',
                             captured.err), captured.err
        for line in ('Annotations.txt: 50 videos, 28 categories',
                     'train_order.h5: 40 videos', 'splits disjoint',
                     'splits cover all rows',
                     'audio_feature.h5: (50, 10, 128) float64, all finite',
                     'visual_feature.h5: (50, 10, 7, 7, 512) float64, all '
                     'finite', 'labels.h5', 'mil_labels.h5',
                     'labels_closs.h5', 'prob_label.h5',
                     'labels_noisy.h5: 4 background-only videos',
                     'visual_feature_noisy.h5: (4, 10, 7, 7, 512)'):
            assert line in out, line

    def test_reports_every_problem(self, verify_tool, ave_folder, capsys):
        path = lambda name: os.path.join(ave_folder, name)  # noqa: E731
        edit_h5(path('audio_feature.h5'), set_value((3, 0, 0), np.nan))
        edit_h5(path('visual_feature.h5'), set_value((45, 9, 6, 6, 511),
                                                     np.inf))
        edit_h5(path('visual_feature_noisy.h5'), set_value((1, 0), np.nan))
        edit_h5(path('labels.h5'), set_value((2, 4), np.eye(29)[0] +
                                             np.eye(29)[28]))
        edit_h5(path('mil_labels.h5'), lambda data: np.roll(data, 1, axis=1))
        edit_h5(path('val_order.h5'), set_value(0, 50), key='order')
        with h5py.File(path('train_order.h5'), 'r') as file:
            train_row = int(file['order'][7])
        edit_h5(path('test_order.h5'), set_value(1, train_row), key='order')
        edit_h5(path('labels_closs.h5'), set_value((0, 0), 0.5))
        edit_h5(path('labels_noisy.h5'), lambda data: data[:, :28])
        before = digest(ave_folder)

        assert verify_tool.main([ave_folder, '--supervision', 'weakly']) == 1
        out = capsys.readouterr().out
        problems = [
            line for line in out.splitlines() if line.startswith('  PROBLEM')
        ]
        expected = [
            ('val_order.h5', 'row 0', 'found 50'),
            ('audio_feature.h5', 'row 3', 'finite'),
            ('visual_feature.h5', 'row 45', 'finite'),
            ('labels.h5', 'row 2, segment 4', '2 columns set'),
            ('mil_labels.h5', 'background column 28 set'),
            ('labels_closs.h5', 'row 0', 'values 0 or 1'),
            ('labels_noisy.h5', 'expected shape (N, 29)'),
            ('visual_feature_noisy.h5', 'row 1', 'finite'),
        ]
        assert f'{len(expected)} problem(s):' in out
        assert len(problems) == len(expected), out
        for fragments in expected:
            assert any(
                all(fragment in line for fragment in fragments)
                for line in problems), (fragments, out)
        # The overlap of test and train cannot be judged while val is bad.
        assert 'splits disjoint' not in out
        assert digest(ave_folder) == before

    def test_overlapping_splits(self, verify_tool, ave_folder, capsys):
        path = os.path.join(ave_folder, 'test_order.h5')
        with h5py.File(os.path.join(ave_folder, 'train_order.h5'),
                       'r') as file:
            train_row = int(file['order'][0])
        edit_h5(path, set_value(1, train_row), key='order')
        assert verify_tool.main([ave_folder]) == 1
        out = capsys.readouterr().out
        assert 'disjoint from those of' in out
        assert 'splits together to hold all 50 rows' in out

    def test_supervision_decides_mil_labels(self, verify_tool, ave_folder,
                                            capsys):
        os.remove(os.path.join(ave_folder, 'mil_labels.h5'))
        os.remove(os.path.join(ave_folder, 'labels.h5'))
        assert verify_tool.main([ave_folder]) == 0
        assert 'segment labels are built from Annotations.txt' in \
            capsys.readouterr().out
        assert verify_tool.main([ave_folder, '--supervision', 'weakly']) == 1
        assert 'mil_labels.h5: expected an HDF5 file, found no such file' in \
            capsys.readouterr().out

    def test_streams_in_bounded_memory(self, verify_tool, tiny_ave_root):
        visual_bytes = 50 * 10 * 7 * 7 * 512 * 8
        tracemalloc.start()
        try:
            report = verify_tool.verify(tiny_ave_root, max_bytes=1 << 20)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert not report.problems
        # Blocks of one video (2 MiB) at most, against 98 MiB of features.
        assert peak < 12 << 20 < visual_bytes
