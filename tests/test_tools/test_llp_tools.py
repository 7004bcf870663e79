"""tools/data/llp: the generator's command and the verify tool."""
import filecmp
import importlib.util
import os
import re
import shutil

import numpy as np
import pytest
from tool_runner import REPO_ROOT, run_tool

from mmcpsp.datasets.llp import annotations as ann


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'llp_{name}', os.path.join(REPO_ROOT, f'tools/data/llp/{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def verify_tool():
    return load_tool('verify')


def same_tree(first, second):
    """Every file of two folders byte-identical, none missing."""
    compared = filecmp.dircmp(first, second)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(
        first, second, compared.common_files, shallow=False)
    return not mismatch and not errors and all(
        same_tree(os.path.join(first, name), os.path.join(second, name))
        for name in compared.common_dirs)


def test_generator_command_is_deterministic(tmp_path, capsys):
    out = str(tmp_path / 'command')
    result = run_tool(['tools/data/llp/generate_synthetic.py', out,
                       '--num-videos', '20', '--seed', '7'])
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'wrote 20 videos (train 16, val 2, test 2)' in result.stdout
    assert re.search(r'Writing the features of \S+: 20 videos in',
                     result.stderr), result.stderr
    assert sorted(os.listdir(out)) == sorted(
        [ann.FULL_FILE, ann.AUDIO_EVAL_FILE, ann.VISUAL_EVAL_FILE, 'feats']
        + list(ann.SPLIT_FILES.values()))
    assert sorted(os.listdir(os.path.join(out, 'feats'))) == [
        'r2plus1d_18', 'res152', 'vggish']
    # The same arguments again (in this process): the same bytes.
    generate = load_tool('generate_synthetic')
    again, other = str(tmp_path / 'again'), str(tmp_path / 'other')
    assert generate.main([again, '--num-videos', '20', '--seed', '7']) == 0
    assert generate.main([other, '--num-videos', '20', '--seed', '8']) == 0
    assert same_tree(out, again)
    assert not same_tree(out, other)
    capsys.readouterr()
    assert generate.main([out, '--num-videos', '20']) == 1
    assert 'overwrite' in capsys.readouterr().err
    assert generate.main([out, '--num-videos', '20', '--seed', '8',
                          '--overwrite']) == 0
    assert same_tree(out, other)


def test_verify_a_good_folder(verify_tool, tiny_llp_root, capsys):
    assert verify_tool.main([tiny_llp_root]) == 0
    captured = capsys.readouterr()
    assert 'no problems found' in captured.out
    assert re.search(r'Reading the feature files of \S+: 40 videos in',
                     captured.err), captured.err
    for line in ('ok       AVVP_train.csv', 'ok       splits disjoint',
                 'ok       feature files of all 40 videos',
                 'note     AVVP_val_pd.csv: 4 videos',
                 'with onset >= offset (add nothing), 1 of videos of no '
                 'split', 'not an LLP release file'):
        assert line in captured.out, (line, captured.out)


def test_verify_lists_every_problem(verify_tool, llp_copy, capsys):
    def feature(folder, row, split='train'):
        weak = ann.parse_weak_labels(
            os.path.join(llp_copy, ann.SPLIT_FILES[split]))
        return os.path.join(llp_copy, 'feats', folder,
                            f'{weak.filenames[row][:11]}.npy')

    missing = [feature('res152', 0), feature('res152', 10)]
    for path in missing:
        os.remove(path)
    nan_path = feature('vggish', 1, 'val')
    features = np.load(nan_path)
    features[2, 3] = np.inf
    np.save(nan_path, features)
    shape_path = feature('r2plus1d_18', 2, 'test')
    np.save(shape_path, np.zeros((9, 512), np.float32))
    train = os.path.join(llp_copy, ann.TRAIN_FILE)
    with open(train) as file:
        lines = file.read().splitlines()
    lines[4] = lines[4].split('\t')[0] + '\tDragon'
    lines[7] += '\textra'
    with open(train, 'w') as file:
        file.write('\n'.join(lines) + '\n')
    with open(os.path.join(llp_copy, ann.AUDIO_EVAL_FILE), 'a') as file:
        file.write('x\t2.5\t4\tSpeech\n')

    assert verify_tool.main([llp_copy]) == 1
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if 'PROBLEM' in line]
    expected = [
        (train, 'line 5', "unknown class 'Dragon'"),
        (train, 'line 8', '2 tab-separated fields'),
        # The rows left out of the train file are then missing from it.
        (os.path.join(llp_copy, ann.FULL_FILE), 'in none'),
        (ann.AUDIO_EVAL_FILE, "onset '2.5'"),
        (missing[0], '2 missing', os.path.basename(missing[1])),
        (nan_path, 'NaN or infinite'),
        (shape_path, 'shape [9, 512]'),
    ]
    for fragments in expected:
        assert any(all(fragment in line for fragment in fragments)
                   for line in problems), (fragments, problems)
    assert f'{len(problems)} problem(s):' in out


def test_verify_names_the_old_audio_file(verify_tool, llp_meta_dir,
                                         tmp_path, capsys):
    root = str(tmp_path / 'llp')
    shutil.copytree(llp_meta_dir, root)
    path = os.path.join(root, ann.AUDIO_EVAL_FILE)
    with open(path) as file:
        text = file.read()
    with open(path, 'w') as file:
        file.write(text.replace('KvIjsmANkxI_10_20\t0\t1\tCat',
                                'KvIjsmANkxI_10_20`\t0\t1\tCat'))
    assert verify_tool.main([root]) == 1  # no feature files here
    out = capsys.readouterr().out
    assert 'an edited copy of the OLD audio annotations' in out
    assert '4,131 audio rows for 645 of 649 val videos, 1,195 of 1,200 ' \
        'test videos; 6 with onset >= offset (add nothing), 15 of videos ' \
        'of no split' in out
    assert 'ok       splits disjoint' in out
    assert out.count('PROBLEM') == 3  # the three feature folders
