import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join('mmcpsp', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), namespace)
    return namespace['__version__']


with open('README.md', encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='mmcpsp',
    version=read_version(),
    description='Contrastive Positive Sample Propagation (CPSP) for '
    'audio-visual event localization, on MMAction2',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    python_requires='>=3.8',
    # mmcv is not listed: CPU users install mmcv-lite, GPU users full mmcv;
    # both provide the `mmcv` module (docs/install.md).
    install_requires=[
        'torch>=1.13',
        'mmengine>=0.10.0,<1.0.0',
        'mmaction2>=1.2.0,<1.3.0',
        'importlib-metadata',
        'setuptools<81',
        'h5py>=3.0',
        'matplotlib',
        'numpy',
        'av>=12.0',
    ],
    extras_require={
        'cpu': ['mmcv-lite>=2.0.0rc4,<2.2.0'],
        'gpu': ['mmcv>=2.0.0rc4,<2.2.0'],
        'tests': ['pytest', 'ruff', 'torchvggish', 'resampy', 'soundfile'],
        'tensorboard': ['tensorboard'],
    },
    zip_safe=False,
)
