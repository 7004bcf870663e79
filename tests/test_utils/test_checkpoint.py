"""Safe loading of checkpoint files (mmcpsp.utils.checkpoint)."""
import collections
import os
import subprocess
import zipfile

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmcpsp.utils.checkpoint import (
    CheckpointError,
    check_resumable,
    checkpoints_trusted,
    load_checkpoint_file,
    trust_checkpoints,
)
from mmcpsp.utils.published_checkpoint import hash_in_name, save_published


class RunsCode:
    """Unpickling it runs a shell command that creates ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class CallsSubprocess(RunsCode):

    def __reduce__(self):
        return subprocess.call, (['touch', self.marker], )


class GetsAttribute:
    """Unpickling it calls ``getattr(owner, name)``."""

    def __init__(self, owner, name: str) -> None:
        self.owner, self.name = owner, name

    def __reduce__(self):
        return getattr, (self.owner, self.name)


def runner_like_checkpoint() -> dict:
    """What MMEngine's runner stores: see runner_checkpoint_globals."""
    buffer = HistoryBuffer()
    buffer.update(2.5)
    buffer.update(3.5)
    return dict(
        meta=dict(epoch=2, dataset_meta=dict(classes=('a', 'b'))),
        state_dict=collections.OrderedDict(weight=torch.ones(2, 3)),
        message_hub=dict(
            log_scalars={'train/loss': buffer},
            runtime_info=dict(eta=np.float64(1.5), step=np.int64(3))),
        param_schedulers=[dict(milestones=collections.Counter([10, 20]))],
        arrays=[np.arange(4, dtype=np.int32), np.zeros(2, np.float16)])


@pytest.fixture
def checkpoint_path(tmp_path) -> str:
    path = str(tmp_path / 'epoch_2.pth')
    torch.save(runner_like_checkpoint(), path)
    return path


class TestSafeLoading:

    def test_runner_types_load_without_trust(self, checkpoint_path):
        loaded = load_checkpoint_file(checkpoint_path, map_location='cpu')
        buffer = loaded['message_hub']['log_scalars']['train/loss']
        assert isinstance(buffer, HistoryBuffer)
        assert buffer.statistics('mean') == 3.0
        assert loaded['message_hub']['runtime_info']['eta'] == 1.5
        assert loaded['param_schedulers'][0]['milestones'] == \
            collections.Counter([10, 20])
        assert loaded['arrays'][0].tolist() == [0, 1, 2, 3]
        assert torch.equal(loaded['state_dict']['weight'], torch.ones(2, 3))

    def test_numpy_1_names(self, tmp_path):
        # A checkpoint saved under numpy 1.x names numpy.core.multiarray.
        path = tmp_path / 'numpy1.pth'
        torch.save(
            dict(eta=np.float64(1.5), array=np.arange(3)),
            path,
            _use_new_zipfile_serialization=False)
        data = path.read_bytes()
        assert b'numpy._core.multiarray' in data
        path.write_bytes(
            data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray'))
        loaded = load_checkpoint_file(str(path))
        assert loaded['eta'] == 1.5 and loaded['array'].tolist() == [0, 1, 2]

    def test_code_never_runs(self, tmp_path):
        path, marker = tmp_path / 'evil.pth', tmp_path / 'marker'
        torch.save({'state_dict': {}, 'x': RunsCode(str(marker))}, path)
        with pytest.raises(CheckpointError) as error:
            load_checkpoint_file(str(path))
        message = str(error.value)
        assert message.startswith(f'{path} was not loaded: it needs '
                                  'posix.system,')
        assert '--trust-checkpoint' in message
        assert not marker.exists()

    @pytest.mark.parametrize('owner, name', [(HistoryBuffer, 'update'),
                                             (np.ndarray, 'tofile')])
    def test_getattr_gives_history_buffer_statistics_only(
            self, tmp_path, owner, name):
        path = tmp_path / 'getattr.pth'
        torch.save({'x': GetsAttribute(owner, name)}, path)
        with pytest.raises(CheckpointError, match='not a HistoryBuffer'):
            load_checkpoint_file(str(path))

    def test_python_2_module_names_shown_as_python_3(self, tmp_path):
        # torch pickles with protocol 2, which writes subprocess.call as
        # commands.call.
        path, marker = tmp_path / 'evil.pth', tmp_path / 'marker'
        torch.save({'x': CallsSubprocess(str(marker))}, path)
        assert b'commands' in path.read_bytes()
        with pytest.raises(CheckpointError, match='needs subprocess.call,'):
            load_checkpoint_file(str(path))
        assert not marker.exists()

    def test_trusted_loads_as_before(self, tmp_path):
        path, marker = tmp_path / 'evil.pth', tmp_path / 'marker'
        torch.save({'x': RunsCode(str(marker))}, path)
        assert not checkpoints_trusted()
        with trust_checkpoints():
            assert checkpoints_trusted()
            load_checkpoint_file(str(path))
        assert not checkpoints_trusted()
        assert marker.exists()

    def test_trust_off_leaves_safe_loading(self, tmp_path):
        with trust_checkpoints(False):
            assert not checkpoints_trusted()


class TestDamagedFiles:

    def expect(self, path, detail: str) -> None:
        with pytest.raises(CheckpointError) as error:
            load_checkpoint_file(str(path))
        assert str(error.value) == (
            f'{path} is not a readable checkpoint (truncated or corrupt?): '
            f'{detail}')

    def test_missing(self, tmp_path):
        with pytest.raises(CheckpointError,
                           match='none.pth: no such checkpoint file'):
            load_checkpoint_file(str(tmp_path / 'none.pth'))

    def test_empty(self, tmp_path):
        (tmp_path / 'empty.pth').write_bytes(b'')
        self.expect(tmp_path / 'empty.pth', 'the file is empty')

    def test_truncated(self, checkpoint_path):
        with open(checkpoint_path, 'rb') as file:
            data = file.read()
        with open(checkpoint_path, 'wb') as file:
            file.write(data[:len(data) // 2])
        self.expect(
            checkpoint_path, 'the zip archive has no central directory at '
            'its end: the file was cut short (a save or copy that did not '
            'finish?)')

    def test_changed_bytes(self, checkpoint_path):
        with zipfile.ZipFile(checkpoint_path) as archive:
            member = next(info for info in archive.infolist()
                          if info.filename.endswith('data/0'))
        with open(checkpoint_path, 'r+b') as file:
            # Past the member's local header (30 bytes + name + extra).
            file.seek(member.header_offset + 30 + len(member.filename) + 64)
            file.write(b'\xff' * 4)
        self.expect(
            checkpoint_path, f'{member.filename} does not match its CRC-32 '
            '(the file changed after it was written)')

    def test_not_a_checkpoint(self, tmp_path):
        (tmp_path / 'notes.pth').write_text('hello world\n')
        with pytest.raises(CheckpointError,
                           match='notes.pth is not a readable checkpoint'):
            load_checkpoint_file(str(tmp_path / 'notes.pth'))


def resume_line(path, lacking: str) -> str:
    return (f'cannot resume from {path}: it is not a training checkpoint (it '
            f'lacks {lacking}). To start training from its weights alone, '
            f'use load_from={path} without --resume (resume=False).')


class TestCheckResumable:

    def test_training_checkpoint_passes(self, tmp_path):
        checkpoint = runner_like_checkpoint()
        checkpoint['meta'].update(iter=10)
        checkpoint['optimizer'] = dict(state={}, param_groups=[])
        torch.save(checkpoint, tmp_path / 'epoch_2.pth')
        check_resumable(str(tmp_path / 'epoch_2.pth'))

    @pytest.mark.parametrize('content, lacking', [
        (dict(weight=torch.ones(2)), 'meta, optimizer, message_hub'),
        (dict(state_dict=dict(weight=torch.ones(2)),
              meta=dict(cfg='', dataset_meta=dict(classes=('a', )))),
         "meta['epoch'], meta['iter'], optimizer, message_hub"),
        ([torch.ones(2)], 'meta, optimizer, message_hub'),
    ], ids=['state_dict', 'published', 'not_a_dict'])
    def test_weights_alone_are_one_line(self, tmp_path, content, lacking):
        path = str(tmp_path / 'weights.pth')
        torch.save(content, path)
        with pytest.raises(CheckpointError) as error:
            check_resumable(path)
        assert str(error.value) == resume_line(path, lacking)

    def test_unreadable_file_says_so(self, tmp_path):
        with pytest.raises(CheckpointError, match='no such checkpoint file'):
            check_resumable(str(tmp_path / 'missing.pth'))


class TestHashInName:

    def test_published_name_is_checked_on_every_load(self, tmp_path):
        checkpoint = dict(state_dict=dict(weight=torch.ones(2)))
        path = save_published(checkpoint, str(tmp_path / 'model.pth'))
        assert load_checkpoint_file(path)['state_dict']['weight'].sum() == 2
        wrong = str(tmp_path / 'model-00000000.pth')
        os.rename(path, wrong)
        with pytest.raises(CheckpointError, match=(
                'model-00000000.pth does not match the hash in its name: '
                'its sha256 starts with [0-9a-f]{8}, not 00000000')):
            load_checkpoint_file(wrong)

    @pytest.mark.parametrize('name', [
        'epoch_3.pth', 'model-0000000.pth', 'model-0000000G.pth',
        'model-00000000.pth.tar'])
    def test_other_names_are_not_checked(self, tmp_path, name):
        torch.save(dict(weight=torch.ones(2)), tmp_path / name)
        assert hash_in_name(name) is None
        load_checkpoint_file(str(tmp_path / name))
