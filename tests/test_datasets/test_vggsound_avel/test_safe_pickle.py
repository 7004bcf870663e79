import os
import pickle
import re
import zipfile

import numpy as np
import pytest

from mmcpsp.datasets.errors import DataValidationError
from mmcpsp.datasets.vggsound_avel.safe_pickle import (
    load_zipped_array,
    safe_load_array,
)


class _RunsCommand:
    """Unpickling an instance runs a shell command (a malicious pickle)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


def _write_zip(path, members):
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


@pytest.mark.parametrize('protocol', range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize('dtype', ['float32', 'float64', 'float16', 'int64',
                                   'uint8', 'bool'])
def test_loads_arrays_of_every_protocol(protocol, dtype):
    array = (np.arange(20).reshape(2, 10) % 2).astype(dtype)
    loaded = safe_load_array(pickle.dumps(array, protocol=protocol), 'x.pkl')
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)


def test_loads_non_contiguous_and_big_endian_arrays():
    fortran = np.asfortranarray(np.arange(12.).reshape(3, 4))
    big_endian = np.arange(5, dtype='>f4')
    for array in (fortran, big_endian, fortran.T):
        for protocol in (2, 5):
            np.testing.assert_array_equal(
                safe_load_array(pickle.dumps(array, protocol=protocol), 's'),
                array)


def test_loads_pickles_written_by_numpy_1():
    # numpy 1.x names numpy.core.multiarray where numpy 2.x writes
    # numpy._core.multiarray; protocol 2 spells the module out in full.
    data = pickle.dumps(np.ones((10, 128), np.float32), protocol=2)
    if b'numpy._core' in data:
        data = data.replace(b'numpy._core', b'numpy.core')
    assert b'numpy.core.multiarray' in data
    np.testing.assert_array_equal(
        safe_load_array(data, 'old.pkl'), np.ones((10, 128), np.float32))


def test_refuses_code_execution(tmp_path):
    marker = tmp_path / 'marker'
    payload = pickle.dumps(_RunsCommand(f'touch {marker}'))
    # The payload really runs the command under plain pickle.
    with pytest.raises(DataValidationError) as info:
        safe_load_array(payload, 'data/audio_features/evil.zip:evil.pkl')
    assert not marker.exists()
    message = str(info.value)
    assert 'data/audio_features/evil.zip:evil.pkl' in message
    assert 'system' in message and 'refused' in message
    pickle.loads(payload)
    assert marker.exists()


def test_refuses_code_hidden_in_an_object_array(tmp_path):
    marker = tmp_path / 'marker'
    array = np.empty(1, dtype=object)
    array[0] = _RunsCommand(f'touch {marker}')
    with pytest.raises(DataValidationError, match='refused'):
        safe_load_array(pickle.dumps(array), 'obj.pkl')
    assert not marker.exists()


@pytest.mark.parametrize('value,name', [({'audio': 1}, 'dict'),
                                        ([1.0, 2.0], 'list'),
                                        (np.float32(1), 'float32')])
def test_refuses_a_pickle_that_is_not_an_array(value, name):
    with pytest.raises(DataValidationError,
                       match=f'expected a pickled numpy array, found a '
                       f'pickled {name}'):
        safe_load_array(pickle.dumps(value), 'v.pkl')


def test_refuses_truncated_pickle():
    data = pickle.dumps(np.zeros((10, 128)), protocol=4)
    with pytest.raises(DataValidationError, match='unreadable pickle'):
        safe_load_array(data[:len(data) // 2], 't.pkl')


def test_zip_with_one_pickle(tmp_path):
    array = np.random.default_rng(0).random((10, 128))
    path = _write_zip(tmp_path / 'a.zip', {'a.pkl': pickle.dumps(array)})
    np.testing.assert_array_equal(load_zipped_array(path), array)


def test_zip_names_member_of_refused_pickle(tmp_path):
    path = _write_zip(tmp_path / 'evil.zip',
                      {'evil.pkl': pickle.dumps(_RunsCommand('true'))})
    with pytest.raises(DataValidationError, match=f'{path}:evil.pkl'):
        load_zipped_array(path)


def test_missing_zip(tmp_path):
    path = str(tmp_path / 'missing.zip')
    with pytest.raises(DataValidationError,
                       match=f'{path}: expected an existing zip file'):
        load_zipped_array(path)


def test_truncated_zip(tmp_path):
    data = pickle.dumps(np.random.default_rng(0).random((10, 128)))
    path = _write_zip(tmp_path / 'cut.zip', {'cut.pkl': data})
    content = open(path, 'rb').read()
    with open(path, 'wb') as file:
        file.write(content[:len(content) // 2])
    with pytest.raises(DataValidationError,
                       match='truncated or corrupt zip'):
        load_zipped_array(path)


def test_corrupt_zip_data(tmp_path):
    data = pickle.dumps(np.random.default_rng(0).random((10, 128)))
    path = _write_zip(tmp_path / 'bad.zip', {'bad.pkl': data})
    content = bytearray(open(path, 'rb').read())
    middle = len(content) // 2
    content[middle:middle + 64] = bytes(64)  # inside the deflated data
    with open(path, 'wb') as file:
        file.write(bytes(content))
    with pytest.raises(DataValidationError, match=str(path)):
        load_zipped_array(path)


def test_not_a_zip(tmp_path):
    path = tmp_path / 'text.zip'
    path.write_text('not a zip')
    with pytest.raises(DataValidationError, match='truncated or corrupt'):
        load_zipped_array(str(path))


@pytest.mark.parametrize('members,found', [
    ({'readme.txt': b'x'}, '0 (none)'),
    ({'a.pkl': b'x', 'b.pkl': b'y'}, '2 (a.pkl, b.pkl)'),
])
def test_zip_must_hold_one_pickle(tmp_path, members, found):
    path = _write_zip(tmp_path / 'n.zip', members)
    with pytest.raises(
            DataValidationError,
            match=re.escape(f'exactly one .pkl member, found {found}')):
        load_zipped_array(path)
