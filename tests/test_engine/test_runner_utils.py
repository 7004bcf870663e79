import pytest
import torch
from mmengine.config import Config

from mmcpsp.datasets.errors import InsufficientMemoryError
from mmcpsp.engine import mixed_precision, prepare_training, run_safely
from mmcpsp.engine.optim_wrappers import cpu_amp_optim_wrapper
from mmcpsp.engine.runner_utils import resume_source
from mmcpsp.utils.checkpoint import CheckpointError


def test_memory_error_is_one_line(capsys):
    def job():
        raise InsufficientMemoryError(
            'preloading the train split of data/ave needs 3.4 GB')

    with pytest.raises(SystemExit) as info:
        run_safely(job)
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        'Memory error: preloading the train split of data/ave needs '
        '3.4 GB\n')


def weights_only_file(path) -> str:
    torch.save(dict(state_dict=dict(weight=torch.ones(2))), path)
    return str(path)


class TestPrepareTraining:

    def test_resume_source_as_the_runner_decides(self, tmp_path):
        work_dir = str(tmp_path)
        assert resume_source(Config(dict(work_dir=work_dir))) is None
        assert resume_source(
            Config(dict(work_dir=work_dir, resume=True))) is None
        (tmp_path / 'last_checkpoint').write_text(f'{tmp_path}/epoch_3.pth')
        assert resume_source(Config(dict(
            work_dir=work_dir, resume=True))) == f'{tmp_path}/epoch_3.pth'
        assert resume_source(Config(dict(
            work_dir=work_dir, resume=True, load_from='a.pth'))) == 'a.pth'
        assert resume_source(Config(dict(
            work_dir=work_dir, resume=False, load_from='a.pth'))) is None

    def test_weights_alone_stop_resume_before_the_runner(self, tmp_path):
        path = weights_only_file(tmp_path / 'weights.pth')
        with pytest.raises(CheckpointError, match='lacks meta, optimizer, '
                           'message_hub.*use load_from='):
            prepare_training(Config(dict(resume=True, load_from=path)))
        # The same file as load_from, not resumed, is fine.
        prepare_training(Config(dict(load_from=path)))

    def test_auto_resume_checks_what_last_checkpoint_names(self, tmp_path):
        path = weights_only_file(tmp_path / 'epoch_1.pth')
        (tmp_path / 'last_checkpoint').write_text(path)
        with pytest.raises(CheckpointError, match='cannot resume from'):
            prepare_training(Config(dict(resume=True, work_dir=str(
                tmp_path))))

    def test_remote_checkpoints_are_left_to_the_runner(self):
        prepare_training(Config(dict(
            resume=True, load_from='https://example.org/epoch_3.pth')))

    def test_amp_sets_the_wrapper_of_the_machine(self, monkeypatch):
        monkeypatch.setattr(mixed_precision, 'gpu_available', lambda: False)
        monkeypatch.setattr(mixed_precision, 'cpu_supports_bfloat16',
                            lambda: True)
        monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_supports_bfloat16',
                            lambda: True)
        cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD'))))
        assert prepare_training(cfg, amp=True) is cfg
        assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'

    def test_precision_error_is_one_line(self, monkeypatch, capsys):
        monkeypatch.setattr(mixed_precision, 'gpu_available', lambda: False)
        monkeypatch.setattr(mixed_precision, 'cpu_supports_bfloat16',
                            lambda: False)
        cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper')))
        with pytest.raises(SystemExit) as info:
            run_safely(lambda: prepare_training(cfg))
        assert info.value.code == 2
        assert capsys.readouterr().err == (
            f'Precision error: {mixed_precision.NO_MIXED_PRECISION}\n')
