"""tools/analysis_tools/analyze_logs.py on a real training log."""
import importlib.util
import json
import os
import os.path as osp
import re
import statistics

import pytest
from tool_runner import REPO_ROOT, read_scalars, run_tool

TOOL = 'tools/analysis_tools/analyze_logs.py'


@pytest.fixture(scope='module')
def analyze_logs():
    """The tool as a module, to check the curves it reads."""
    spec = importlib.util.spec_from_file_location(
        'analyze_logs', osp.join(REPO_ROOT, TOOL))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plot_curve_draws_loss_and_accuracy(trained_run, tmp_path):
    out = tmp_path / 'curves.png'
    result = run_tool([
        TOOL, 'plot_curve', trained_run, '--keys', 'loss', 'avel/segment_acc',
        '--out', str(out)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    records = read_scalars(trained_run)
    losses = [r['loss'] for r in records if 'loss' in r]
    accuracies = [r['avel/segment_acc'] for r in records
                  if 'avel/segment_acc' in r]
    assert f'loss (train) {len(losses)} points, last {losses[-1]:.4f} ' \
        'at iteration 10' in result.stdout
    assert f'avel/segment_acc (val) {len(accuracies)} points, last ' \
        f'{accuracies[-1]:.4f} at iteration 10' in result.stdout


def test_curves_follow_the_log(trained_run, analyze_logs):
    run = analyze_logs.load_run(trained_run)
    assert run.name == osp.basename(trained_run)
    records = read_scalars(trained_run)
    iterations, losses, phase = run.curve('loss')
    assert phase == 'train'
    assert iterations == list(range(1, 11))
    assert losses == [r['loss'] for r in records if 'loss' in r]
    # Validation after epoch e sits at the last iteration of epoch e.
    iterations, accuracies, phase = run.curve('avel/segment_acc')
    assert (iterations, phase) == ([5, 10], 'val')
    assert accuracies == [
        r['avel/segment_acc'] for r in records if 'avel/segment_acc' in r
    ]
    figure = analyze_logs.plot_curve([run, run], ['loss', 'avel/segment_acc'])
    assert len(figure.axes) == 2
    assert [len(ax.lines) for ax in figure.axes] == [2, 2]
    assert list(figure.axes[0].lines[0].get_ydata()) == losses


def test_several_runs_with_legend(trained_run, tmp_path, analyze_logs,
                                  capsys):
    stamp = next(name for name in os.listdir(trained_run) if osp.isfile(
        osp.join(trained_run, name, 'vis_data', 'scalars.json')))
    single_file = osp.join(trained_run, stamp, 'vis_data', 'scalars.json')
    analyze_logs.main([
        'plot_curve', trained_run, single_file, '--keys', 'loss',
        '--legend', 'dir', 'file', '--out', str(tmp_path / 'two.png')
    ])
    stdout = capsys.readouterr().out
    assert re.search(r'^dir: loss', stdout, re.MULTILINE)
    assert re.search(r'^file: loss', stdout, re.MULTILINE)
    with pytest.raises(SystemExit) as info:
        analyze_logs.main([
            'plot_curve', trained_run, single_file, '--legend', 'one',
            '--out', str(tmp_path / 'bad.png')
        ])
    assert info.value.code == 2
    assert 'one name per log' in capsys.readouterr().err


def test_unknown_key_lists_the_logged_ones(trained_run, tmp_path,
                                           analyze_logs):
    with pytest.raises(SystemExit) as info:
        analyze_logs.main([
            'plot_curve', trained_run, '--keys', 'accuracy', '--out',
            str(tmp_path / 'x.png')
        ])
    assert 'has no "accuracy"' in str(info.value.code)
    assert 'avel/segment_acc' in str(info.value.code)
    assert not (tmp_path / 'x.png').exists()


def test_cal_train_time(trained_run, analyze_logs, capsys):
    analyze_logs.main(['cal_train_time', trained_run])
    stdout = capsys.readouterr().out
    times = {}
    for record in read_scalars(trained_run):
        if 'iter' in record:
            times.setdefault(record['epoch'], []).append(record['time'])
    kept = [t for epoch_times in times.values() for t in epoch_times[1:]]
    assert f'average iter time: {statistics.fmean(kept):.4f} s/iter' in \
        stdout
    epoch_means = {e: statistics.fmean(t[1:]) for e, t in times.items()}
    slowest = max(epoch_means, key=epoch_means.get)
    assert f'slowest epoch {slowest}, average time is ' \
        f'{epoch_means[slowest]:.4f} s/iter' in stdout


def test_resumed_steps_replace_earlier_ones(tmp_path, analyze_logs):
    work_dir = tmp_path / 'resumed'
    for stamp, records in (
            ('20240101_000000', [dict(lr=1, loss=3.0, epoch=1, iter=1,
                                      step=1, time=1.0),
                                 dict(lr=1, loss=2.0, epoch=1, iter=2,
                                      step=2, time=1.0)]),
            ('20240101_010000', [dict(lr=1, loss=1.5, epoch=1, iter=2,
                                      step=2, time=1.0),
                                 dict(acc=50.0, step=1)])):
        folder = work_dir / stamp / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(
            '\n'.join(json.dumps(r) for r in records) + '\n')
    run = analyze_logs.load_run(str(work_dir))
    assert run.curve('loss') == ([1, 2], [3.0, 1.5], 'train')
    assert run.curve('acc') == ([2], [50.0], 'val')
    bad = work_dir / 'bad.json'
    bad.write_text('{"loss": 1, "iter": 1}\nnot json\n')
    with pytest.raises(ValueError, match='line 2'):
        analyze_logs.load_run(str(bad))
    with pytest.raises(FileNotFoundError):
        analyze_logs.load_run(str(tmp_path / 'missing'))
