import os
import pickle

import h5py
import numpy as np
import pytest

from mmcpsp.datasets import DataValidationError
from mmcpsp.datasets.h5_utils import H5RowReader, check_dataset_finite
from mmcpsp.registry import TRANSFORMS

VISUAL_ROW = (10, 7, 7, 512)
AUDIO_ROW = (10, 128)


@pytest.fixture(scope='module')
def feature_files(tmp_path_factory):
    """The same 3 videos stored contiguous and gzip-chunked."""
    root = tmp_path_factory.mktemp('features')
    rng = np.random.default_rng(0)
    audio = rng.random((3, ) + AUDIO_ROW)
    visual = rng.random((3, ) + VISUAL_ROW)
    visual[2, 0, 0, 0, 0] = 1e300  # finite in float64, inf in float32
    paths = {}
    for layout in ('contiguous', 'gzip'):
        options = dict(compression='gzip', chunks=(1, 10, 1, 1, 512)) \
            if layout == 'gzip' else {}
        paths[layout] = {}
        for name, data in (('audio', audio), ('visual', visual)):
            path = str(root / f'{name}_{layout}.h5')
            with h5py.File(path, 'w') as h5_file:
                chunked = dict(options)
                if name == 'audio' and chunked:
                    chunked['chunks'] = True
                h5_file.create_dataset('avadataset', data=data, **chunked)
            paths[layout][name] = path
    return paths, audio, visual


def results_for(paths, row, **extra):
    return dict(
        audio_path=paths['audio'],
        visual_path=paths['visual'],
        row=row,
        **extra)


class TestH5RowReader:

    @pytest.mark.parametrize('layout', ['contiguous', 'gzip'])
    def test_reads_rows(self, feature_files, layout):
        paths, _, visual = feature_files
        reader = H5RowReader(paths[layout]['visual'], 'avadataset',
                             VISUAL_ROW)
        # Contiguous files are read with pread, chunked ones via h5py.
        assert (reader._fd is not None) == (layout == 'contiguous')
        out = np.empty(VISUAL_ROW)
        for row in range(3):
            np.testing.assert_array_equal(reader.read(row, out), visual[row])
        reader.close()

    def test_row_out_of_range(self, feature_files):
        paths, _, _ = feature_files
        reader = H5RowReader(paths['contiguous']['audio'], 'avadataset',
                             AUDIO_ROW)
        with pytest.raises(DataValidationError, match=r'row 3: expected a '
                           r'row index in \[0, 3\)'):
            reader.read(3, np.empty(AUDIO_ROW))
        with pytest.raises(ValueError, match='C-contiguous float64'):
            reader.read(0, np.empty(AUDIO_ROW, np.float32))
        reader.close()

    def test_file_cut_short_after_opening(self, feature_files, tmp_path):
        paths, _, _ = feature_files
        path = str(tmp_path / 'visual.h5')
        with open(paths['contiguous']['visual'], 'rb') as source, \
                open(path, 'wb') as target:
            target.write(source.read())
        reader = H5RowReader(path, 'avadataset', VISUAL_ROW)
        os.truncate(path, os.path.getsize(path) - 1000)
        with pytest.raises(DataValidationError,
                           match='row 2: .*truncated or corrupt'):
            reader.read(2, np.empty(VISUAL_ROW))
        reader.close()

    def test_not_a_file(self, tmp_path):
        with pytest.raises(DataValidationError,
                           match='expected an HDF5 file, found a directory'):
            H5RowReader(str(tmp_path), 'avadataset', AUDIO_ROW)

    def test_corrupt_chunk(self, tmp_path):
        path = str(tmp_path / 'audio.h5')
        with h5py.File(path, 'w') as h5_file:
            h5_file.create_dataset(
                'avadataset',
                data=np.random.default_rng(0).random((4, ) + AUDIO_ROW),
                chunks=(1, ) + AUDIO_ROW,
                compression='gzip')
            offset = h5_file['avadataset'].id.get_chunk_info(2).byte_offset
        with open(path, 'r+b') as file:
            file.seek(offset + 100)
            file.write(b'\xff' * 200)
        reader = H5RowReader(path, 'avadataset', AUDIO_ROW)
        reader.read(1, np.empty(AUDIO_ROW))
        with pytest.raises(DataValidationError,
                           match='row 2: expected readable data, found a '
                           'read error'):
            reader.read(2, np.empty(AUDIO_ROW))
        with pytest.raises(DataValidationError, match='row 2-3: expected '
                           'readable data'):
            check_dataset_finite(reader._dataset, path, 'avadataset',
                         max_bytes=2 * 10 * 128 * 8)
        reader.close()

    def test_wrong_row_shape(self, feature_files):
        paths, _, _ = feature_files
        with pytest.raises(DataValidationError,
                           match=r'expected shape \(N, 10, 64\)'):
            H5RowReader(paths['gzip']['audio'], 'avadataset', (10, 64))


class TestLoadAVEFeatures:

    @pytest.mark.parametrize('layout', ['contiguous', 'gzip'])
    @pytest.mark.parametrize('dtype', ['float32', 'float64'])
    def test_loads_in_dtype(self, feature_files, layout, dtype):
        paths, audio, visual = feature_files
        transform = TRANSFORMS.build(dict(type='LoadAVEFeatures', dtype=dtype))
        results = transform(
            results_for(
                paths[layout],
                1,
                segment_labels=np.arange(10),
                video_id='abc',
                sample_idx=7,
                num_classes=28))
        assert results['audio'].dtype == results['visual'].dtype == dtype
        assert results['audio'].shape == AUDIO_ROW
        assert results['visual'].shape == VISUAL_ROW
        np.testing.assert_array_equal(results['audio'],
                                      audio[1].astype(dtype))
        np.testing.assert_array_equal(results['visual'],
                                      visual[1].astype(dtype))
        assert (results['video_id'], results['sample_idx'],
                results['num_classes']) == ('abc', 7, 28)
        np.testing.assert_array_equal(results['segment_labels'],
                                      np.arange(10))

    def test_consecutive_reads_do_not_share_memory(self, feature_files):
        paths, _, visual = feature_files
        transform = TRANSFORMS.build(dict(type='LoadAVEFeatures'))
        first = transform(results_for(paths['contiguous'], 0))['visual']
        second = transform(results_for(paths['contiguous'], 1))['visual']
        assert not np.shares_memory(first, second)
        np.testing.assert_array_equal(first, visual[0].astype(np.float32))

    @pytest.mark.parametrize('dtype', ['float32', 'float64'])
    def test_output_memory_is_reused_only_once_released(
            self, feature_files, dtype):
        paths, _, visual = feature_files
        transform = TRANSFORMS.build(dict(type='LoadAVEFeatures', dtype=dtype))
        packed = TRANSFORMS.build(dict(type='PackAVELInputs'))
        kept = packed(transform(results_for(paths['contiguous'], 0)))
        dropped = transform(results_for(paths['contiguous'], 1))['visual']
        address = dropped.ctypes.data
        del dropped
        again = transform(results_for(paths['contiguous'], 1))['visual']
        # The released array's memory serves the next read...
        assert again.ctypes.data == address
        np.testing.assert_array_equal(again, visual[1].astype(dtype))
        # ...while the one held (as a tensor) keeps its values.
        np.testing.assert_array_equal(kept['inputs']['visual'].numpy(),
                                      visual[0].astype(dtype))

    def test_not_finite_after_cast(self, feature_files):
        paths, _, _ = feature_files
        transform = TRANSFORMS.build(dict(type='LoadAVEFeatures'))
        with pytest.raises(DataValidationError) as info:
            transform(results_for(paths['contiguous'], 2))
        message = str(info.value)
        assert paths['contiguous']['visual'] in message
        assert 'row 2' in message and '(as float32)' in message
        float64 = TRANSFORMS.build(
            dict(type='LoadAVEFeatures', dtype='float64'))
        assert float64(results_for(paths['contiguous'], 2))['visual'][
            0, 0, 0, 0] == 1e300

    def test_rejects_non_float_dtype(self):
        with pytest.raises(ValueError, match='floating-point'):
            TRANSFORMS.build(dict(type='LoadAVEFeatures', dtype='int64'))

    def test_handles_per_process(self, feature_files):
        paths, _, _ = feature_files
        transform = TRANSFORMS.build(dict(type='LoadAVEFeatures'))
        transform(results_for(paths['gzip'], 0))
        assert transform._pid == os.getpid()
        readers = dict(transform._readers)
        assert set(readers) == set(paths['gzip'].values())
        transform(results_for(paths['gzip'], 1))
        assert transform._readers == readers
        # As in a forked worker: the inherited handles are not reused.
        transform._pid = -1
        transform(results_for(paths['gzip'], 0))
        assert transform._pid == os.getpid()
        assert all(transform._readers[path] is not readers[path]
                   for path in readers)

    def test_pickles_without_handles(self, feature_files):
        paths, _, visual = feature_files
        transform = TRANSFORMS.build(dict(type='LoadAVEFeatures'))
        transform(results_for(paths['contiguous'], 0))
        restored = pickle.loads(pickle.dumps(transform))
        assert restored._readers == {} and restored._pid is None
        np.testing.assert_array_equal(
            restored(results_for(paths['contiguous'], 1))['visual'],
            visual[1].astype(np.float32))
        assert repr(restored) == "LoadAVEFeatures(dtype='float32')"

    def test_missing_file(self, feature_files, tmp_path):
        paths, _, _ = feature_files
        transform = TRANSFORMS.build(dict(type='LoadAVEFeatures'))
        results = results_for(paths['contiguous'], 0)
        results['visual_path'] = str(tmp_path / 'absent.h5')
        with pytest.raises(DataValidationError, match='absent.h5: expected '
                           'an HDF5 file, found no such file'):
            transform(results)
