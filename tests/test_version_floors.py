"""The version floors of setup.py and of ``import mmcpsp`` are the pinned
versions the test suite runs with (requirements/runtime.txt)."""
import os.path as osp
import re
from importlib.metadata import version

import pytest

import mmcpsp

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# The pins whose floors are declared; the rest of runtime.txt is unpinned.
PINNED = ('torch', 'mmengine', 'mmcv-lite', 'mmaction2', 'av')


def runtime_pins() -> dict:
    pins = {}
    with open(osp.join(REPO_ROOT, 'requirements', 'runtime.txt')) as file:
        for line in file:
            found = re.match(r'([\w.-]+)==([\w.]+)', line)
            if found:
                pins[found.group(1)] = found.group(2)
    return pins


def setup_floors() -> dict:
    with open(osp.join(REPO_ROOT, 'setup.py')) as file:
        text = file.read()
    return dict(re.findall(r"'([\w.-]+)>=([\w.]+)", text))


def test_setup_floors_are_the_pins():
    pins, floors = runtime_pins(), setup_floors()
    assert set(PINNED) <= set(pins)
    for name in PINNED:
        assert floors[name] == pins[name], name
    assert floors['mmcv'] == pins['mmcv-lite']  # the GPU extra


def test_setup_floors_are_the_installed_versions():
    # The suite runs in the pinned environment, so what it tests is what
    # setup.py declares as the lowest supported versions.
    floors = setup_floors()
    for name in ('torch', 'mmengine', 'mmaction2', 'mmcv-lite', 'av',
                 'h5py', 'matplotlib'):
        assert version(name).split('+')[0] == floors[name], name


def test_import_guard_floors_are_the_pins():
    pins = runtime_pins()
    floors = {name: low for name, (_, low, _) in mmcpsp._RANGES.items()}
    assert floors == dict(
        torch=pins['torch'],
        mmengine=pins['mmengine'],
        mmcv=pins['mmcv-lite'],
        mmaction2=pins['mmaction2'])


@pytest.mark.parametrize('found, message', [
    ('1.13.1', 'mmcpsp needs torch>=2.13.0, found 1.13.1.'),
    ('2.12.1+cpu', 'mmcpsp needs torch>=2.13.0, found 2.12.1+cpu.'),
])
def test_import_guard_refuses_an_older_torch(found, message):
    with pytest.raises(ImportError) as error:
        mmcpsp._check_versions({'torch': (found, '2.13.0', None)})
    assert str(error.value) == (
        f'{message} See docs/install.md for the working set.')


def test_import_guard_keeps_ceilings():
    mmcpsp._check_versions({'torch': ('2.13.0+cpu', '2.13.0', None)})
    with pytest.raises(ImportError, match=r'mmcv>=2\.1\.0,<2\.2\.0'):
        mmcpsp._check_versions({'mmcv': ('2.2.0', '2.1.0', '2.2.0')})
