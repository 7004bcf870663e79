"""tools/analysis_tools/multi_seed.py trains per seed and summarises."""
import json
import os.path as osp
import re
import statistics

import pytest
from tool_runner import CONFIG, run_tool, small_run_options


@pytest.mark.slow
def test_two_seeds_report_each_run_and_mean_std(tiny_ave_root, tmp_path):
    work_dir = str(tmp_path / 'seeds')
    result = run_tool([
        'tools/analysis_tools/multi_seed.py', CONFIG, '--seeds', '1', '2',
        '--work-dir', work_dir, '--cfg-options',
        *small_run_options(tiny_ave_root, max_epochs=1)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    accuracies = []
    for seed in (1, 2):
        with open(osp.join(work_dir, f'seed_{seed}',
                           'test_metrics.json')) as f:
            accuracies.append(json.load(f)['avel/segment_acc'])
        row = re.search(rf'^\s+{seed}\s+([\d.]+)\s+best_avel_segment_acc_',
                        result.stdout, re.MULTILINE)
        assert row and float(row.group(1)) == round(accuracies[-1], 2)
    summary = (f'avel/segment_acc: mean {statistics.fmean(accuracies):.2f} '
               f'std {statistics.stdev(accuracies):.2f} over 2 seeds')
    assert summary in result.stdout
    assert re.search(r'^seed 1: avel/segment_acc [\d.]+ \(1/2 runs, \d+ s '
                     r'elapsed, ETA \d+ s\)$', result.stdout, re.MULTILINE)
    assert re.search(r'^seed 2: avel/segment_acc [\d.]+ \(2/2 runs, ',
                     result.stdout, re.MULTILINE)
