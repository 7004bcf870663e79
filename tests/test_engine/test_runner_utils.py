import pytest

from mmcpsp.datasets.errors import InsufficientMemoryError
from mmcpsp.engine import run_safely


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
