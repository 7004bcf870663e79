import os
import os.path as osp
import shutil
import sys
import warnings

from setuptools import find_packages, setup

REPO_ROOT = osp.dirname(osp.abspath(__file__))
#: Copied (or linked) into mmcpsp/.mim, where OpenMMLab's mim looks for a
#: package's configs, tools, demo and model index (``mim train mmcpsp ...``).
MIM_FILES = ('configs', 'tools', 'demo', 'model-index.yml')


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(REPO_ROOT, 'mmcpsp', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), namespace)
    return namespace['__version__']


def _mim_mode() -> str:
    """'symlink' for an editable install, 'copy' for a wheel or an sdist,
    '' for any other setup.py command."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        return 'symlink'
    if {'sdist', 'bdist_wheel'} & set(sys.argv):
        return 'copy'
    return ''


def add_mim_extension() -> None:
    """Put configs, tools, demo and model-index.yml into mmcpsp/.mim.

    As OpenMMLab packages do: symbolic links for an editable install, so
    that edits show through, and copies for a wheel or an sdist, so that an
    installed package carries them. A missing source (demo/ before it
    exists, or the top-level folders when building a wheel from an sdist,
    whose mmcpsp/.mim already holds the copies) is skipped.
    """
    mode = _mim_mode()
    if not mode:
        return
    mim_path = osp.join(REPO_ROOT, 'mmcpsp', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src_path = osp.join(REPO_ROOT, name)
        if not osp.exists(src_path):
            continue
        tar_path = osp.join(mim_path, name)
        if osp.isfile(tar_path) or osp.islink(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            try:
                os.symlink(osp.relpath(src_path, mim_path), tar_path)
                continue
            except OSError:
                # e.g. Windows without the privilege to create links.
                warnings.warn(f'Cannot link {tar_path}; copying {src_path}.')
        if osp.isdir(src_path):
            shutil.copytree(
                src_path,
                tar_path,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src_path, tar_path)


add_mim_extension()

with open(osp.join(REPO_ROOT, 'README.md'), encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='mmcpsp',
    version=read_version(),
    description='Contrastive Positive Sample Propagation (CPSP) for '
    'audio-visual event localization, on MMAction2',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'docs', 'demo')),
    # mmcpsp/.mim, listed in MANIFEST.in, travels as package data.
    include_package_data=True,
    # Every floor is a version the test suite has run with (the pins of
    # requirements/runtime.txt, Python 3.11; numpy 1.26 as well, see
    # docs/install.md); nothing older was ever tried.
    python_requires='>=3.11',
    # mmcv is not listed: CPU users install mmcv-lite, GPU users full mmcv;
    # both provide the `mmcv` module (docs/install.md).
    install_requires=[
        'torch>=2.13.0',
        'mmengine>=0.10.7,<1.0.0',
        'mmaction2>=1.2.0,<1.3.0',
        'importlib-metadata',
        # mmengine 0.10.7 needs pkg_resources, which setuptools 81 removes.
        'setuptools>=77.0.3,<81',
        'h5py>=3.16.0',
        'matplotlib>=3.11.2',
        'numpy>=1.26',
        'pillow>=12.3.0',
        'av>=18.1.0',
    ],
    extras_require={
        'cpu': ['mmcv-lite>=2.1.0,<2.2.0'],
        'gpu': ['mmcv>=2.1.0,<2.2.0'],
        'tests': [
            'pytest', 'ruff', 'openmim', 'torchvggish', 'resampy',
            'soundfile', 'playwright'
        ],
        'mim': ['openmim'],
        'demo': ['gradio>=6.31.0,<7', 'gradio_client>=2.7.2,<3'],
        'tensorboard': ['tensorboard'],
    },
    zip_safe=False,
)
