"""Extraction with --amp beside float32: float32 files, close features."""
import importlib.util
import os.path as osp

import pytest
from tool_runner import REPO_ROOT

from mmcpsp.engine import cpu_supports_bfloat16


@pytest.mark.skipif(not cpu_supports_bfloat16(),
                    reason='bfloat16 autocast on this CPU')
def test_amp_extraction_is_float32_and_close(capsys):
    path = osp.join(REPO_ROOT, 'tools', 'analysis_tools',
                    'benchmark_extraction.py')
    spec = importlib.util.spec_from_file_location('bench_extract', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    results = tool.main(['--seconds', '2', '--rounds', '1', '--frame-size',
                         '64', '--frames-per-segment', '2'])
    assert results['float32_s'] > 0 and results['amp_s'] > 0
    assert results['dtypes'] == dict(audio='float32', visual='float32')
    # VGGish stays float32 (channels-last: rounding only); VGG-19 in
    # bfloat16 moves features by well under 5 % (random weights).
    assert results['difference']['audio']['relative_l2_max'] < 1e-5
    assert 0 < results['difference']['visual']['relative_l2_max'] < 0.05
    assert 'float32 / amp time: ' in capsys.readouterr().out
