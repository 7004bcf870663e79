"""mmcpsp as an installed package: the wheel carries configs, tools and the
model index in mmcpsp/.mim, and mim trains and tests from any folder.

The wheel is built from a copy of the working tree (tracked and untracked,
not ignored, files), so a stale build/ or mmcpsp/.mim of the checkout plays
no part.
"""
import glob
import os
import os.path as osp
import shutil
import site
import subprocess
import sys
import sysconfig
import tarfile
import zipfile

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIM = 'mmcpsp/.mim/'


def _run(command, cwd, timeout=600, env=None):
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env=env)
    assert result.returncode == 0, (command, result.stdout[-3000:],
                                    result.stderr[-3000:])
    return result


def _source_files():
    listed = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others',
         '--exclude-standard'],
        cwd=REPO_ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip('not a git checkout: cannot tell the source files')
    return [
        path for path in listed.stdout.split('\0')
        if path and osp.isfile(osp.join(REPO_ROOT, path))
    ]


@pytest.fixture(scope='module')
def source_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp('mmcpsp_src')
    for path in _source_files():
        os.makedirs(osp.dirname(osp.join(root, path)), exist_ok=True)
        shutil.copy2(osp.join(REPO_ROOT, path), osp.join(root, path))
    return str(root)


@pytest.fixture(scope='module')
def wheel(source_copy, tmp_path_factory):
    dist = str(tmp_path_factory.mktemp('dist'))
    _run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '--no-index', '--wheel-dir', dist,
        source_copy
    ], cwd=dist)
    (path, ) = glob.glob(osp.join(dist, 'mmcpsp-*.whl'))
    return path


def _configs(root):
    return sorted(
        osp.relpath(path, root)
        for path in glob.glob(osp.join(root, 'configs', '**', '*.py'),
                              recursive=True))


def test_wheel_carries_configs_tools_and_model_index(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        model_index = archive.read(MIM + 'model-index.yml').decode()
    for config in _configs(REPO_ROOT):
        assert MIM + config in names, config
    for tool in ('train.py', 'test.py', 'dist_train.sh',
                 'model_converters/convert_official_cpsp.py',
                 'data/ave/generate_synthetic.py', 'data/ave/README.md'):
        assert MIM + 'tools/' + tool in names, tool
    for metafile in glob.glob(osp.join(REPO_ROOT, 'configs', '*',
                                       'metafile.yml')):
        relative = osp.relpath(metafile, REPO_ROOT)
        assert relative in model_index, relative
        assert MIM + relative in names
    assert not any('__pycache__' in name for name in names)
    if osp.isdir(osp.join(REPO_ROOT, 'demo')):
        assert any(name.startswith(MIM + 'demo/') for name in names)


def test_sdist_carries_mim_files(source_copy, tmp_path):
    _run([sys.executable, 'setup.py', '-q', 'sdist', '--dist-dir',
          str(tmp_path)], cwd=source_copy)
    (sdist, ) = glob.glob(str(tmp_path / 'mmcpsp-*.tar.gz'))
    with tarfile.open(sdist) as archive:
        # Members sit under mmcpsp-VERSION/ (the first is that folder).
        names = {
            name.split('/', 1)[1]
            for name in archive.getnames() if '/' in name
        }
    assert MIM + 'model-index.yml' in names
    assert MIM + 'configs/cpsp_fully_ave.py' in names
    assert MIM + 'tools/train.py' in names


def _fresh_venv(path):
    """A venv whose own site-packages comes first and which sees this
    interpreter's packages (torch, mmaction2, mim ...) through a .pth file,
    so nothing is downloaded; mmcpsp comes only from the wheel."""
    base_python = getattr(sys, '_base_executable', sys.executable)
    _run([base_python, '-m', 'venv', '--without-pip', path],
         cwd=osp.dirname(path))
    python = osp.join(path, 'bin', 'python')
    purelib = subprocess.run(
        [python, '-c',
         'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()['purelib'], *site.getsitepackages()}
    with open(osp.join(purelib, 'parent_env.pth'), 'w') as f:
        f.write('\n'.join(sorted(p for p in ours if osp.isdir(p))) + '\n')
    return python, purelib


@pytest.mark.slow
def test_mim_trains_and_tests_the_installed_package(wheel, tmp_path):
    pytest.importorskip('mim')
    from mmcpsp.testing import generate_synthetic_ave

    python, purelib = _fresh_venv(str(tmp_path / 'venv'))
    _run([
        sys.executable, '-m', 'pip', '--python', python, 'install', '-q',
        '--no-deps', '--no-index', wheel
    ], cwd=str(tmp_path))
    data_root = str(tmp_path / 'ave')
    generate_synthetic_ave(data_root, num_videos=60, seed=0, num_noisy=4)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items() if key != 'PYTHONPATH'
    }
    env['OMP_NUM_THREADS'] = '1'

    def run(*args):
        return _run([python, *args], cwd=str(elsewhere), env=env)

    imported = run('-c', 'import mmcpsp; print(mmcpsp.__file__)')
    assert imported.stdout.strip() == osp.join(purelib, 'mmcpsp',
                                               '__init__.py')
    assert 'mmcpsp' in run('-m', 'mim', 'list').stdout.split()
    found = run('-m', 'mim', 'search', 'mmcpsp').stdout
    for model in ('cpsp_avga-vgg19-vggish_1xb64-45e_ave-fully',
                  'psp-cvpr21_avga-vgg19-vggish_1xb128-300e_ave-weakly'):
        assert model in found

    options = ['train_cfg.max_epochs=1']
    for split in ('train', 'val', 'test'):
        options += [
            f'{split}_dataloader.dataset.data_root={data_root}',
            f'{split}_dataloader.batch_size=16',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    work_dir = str(tmp_path / 'work')
    trained = run('-m', 'mim', 'train', 'mmcpsp', 'cpsp_fully_ave.py',
                  '--work-dir', work_dir, '--cfg-options', *options)
    installed_tools = osp.join(purelib, 'mmcpsp', '.mim', 'tools')
    assert f'{python} {installed_tools}/train.py' in trained.stdout
    (checkpoint, ) = glob.glob(osp.join(work_dir, 'best_*.pth'))
    tested = run('-m', 'mim', 'test', 'mmcpsp', 'cpsp_fully_ave.py',
                 '--checkpoint', checkpoint, '--work-dir', work_dir,
                 '--cfg-options', *options)
    assert f'{python} {installed_tools}/test.py' in tested.stdout
    assert 'avel/segment_acc' in tested.stdout + tested.stderr
