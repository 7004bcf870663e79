"""The soak mode of tools/analysis_tools/benchmark_memory.py on a tiny run:
tools/train.py for 3 epochs, the memory of its process tree after each."""
import importlib.util
import json
import os.path as osp
import re

import pytest
from tool_runner import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark_memory.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_memory', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_soak_of_three_epochs(tmp_path, monkeypatch, capfd):
    # The tool in this process, from another folder; tools/train.py in a
    # child. A bound no tiny run reaches: the figures are for
    # docs/benchmark.md, the test checks that they are taken and reported.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    status = load_tool().main([
        'work', '--soak-epochs', '3', '--soak-videos', '40',
        '--max-growth', '1000'
    ])
    output = capfd.readouterr().out
    assert status == 0, output[-3000:]
    tmp_path = tmp_path / 'work'
    with open(tmp_path / 'soak_memory.jsonl') as file:
        rows = [json.loads(line) for line in file]
    assert [row['epoch'] for row in rows] == [1, 2, 3]
    # No loader workers in the AVE config: the tree is tools/train.py.
    assert all(row['processes'] == 1 for row in rows)
    assert all(row['rss_mib'] >= row['pss_mib'] > 100 for row in rows)
    lines = output.splitlines()
    table = lines.index('epoch | RSS | PSS | processes')
    for row, line in zip(rows, lines[table + 1:table + 4]):
        assert line == (f'{row["epoch"]} | {row["rss_mib"]:.1f} | '
                        f'{row["pss_mib"]:.1f} | 1')
    growth = 100 * (rows[2]['rss_mib'] - rows[1]['rss_mib']) / rows[1][
        'rss_mib']
    summary = (f'RSS after epoch 1: {rows[0]["rss_mib"]:.1f} MiB; after '
               f'epoch 3: {rows[2]["rss_mib"]:.1f} MiB; growth from epoch 2 '
               f'to epoch 3: {growth:+.2f} % (PSS ')
    assert re.fullmatch(re.escape(summary) + r'[+-]\d+\.\d\d %\)',
                        lines[table + 4]), lines[table + 4]
    # What the soak trained: the checkpoints of every epoch, as a user's run.
    assert osp.isfile(tmp_path / 'soak_run' / 'epoch_3.pth')


def test_growth_is_measured_from_epoch_2():
    tool = load_tool()
    rows = [dict(epoch=1, rss_mib=500.0), dict(epoch=2, rss_mib=600.0),
            dict(epoch=3, rss_mib=606.0), dict(epoch=4, rss_mib=630.0)]
    assert tool.growth_percent(rows) == pytest.approx(5.0)


@pytest.mark.parametrize('argv, message', [
    (['--soak-epochs', '2', '--soak-videos', '40'], 'at least 3'),
    (['--soak-epochs', '3'], 'needs --meta-dir or --soak-videos'),
])
def test_soak_arguments_are_checked(argv, message, capsys):
    with pytest.raises(SystemExit):
        load_tool().parse_args(['work_dir', *argv])
    assert message in capsys.readouterr().err
