"""tools/analysis_tools/benchmark.py measures every row, side by side."""
import importlib.util
import json
import os.path as osp

import pytest
from tool_runner import CONFIG, REPO_ROOT


def load_tool():
    path = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark.py')
    spec = importlib.util.spec_from_file_location('benchmark', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_reports_every_row(tmp_path, capsys):
    tool = load_tool()
    out = str(tmp_path / 'figures.json')
    tool.main([
        osp.join(REPO_ROOT, CONFIG), '--num-videos', '40', '--iters', '1',
        '--epochs', '2', '--rounds', '1', '--out', out
    ])
    with open(out) as file:
        results = json.load(file)
    rows = results['cpu']
    for key in ('model_step_float32', 'model_step_float64',
                'plain_loop_float32', 'runner_float32',
                'inference_throughput', 'inference_latency_ms',
                'loader_config', 'loader_streaming_2_workers'):
        assert rows[key] > 0, key
    assert results['batch_size'] == 64
    memory = results['memory_mib']
    assert memory['peak'] >= memory['start'] > 0
    printed = capsys.readouterr().out
    assert 'runner / model step: ' in printed
    assert 'float32 / float64 model step: ' in printed
    assert 'model step / plain PyTorch loop: ' in printed
    from mmcpsp.engine import cpu_supports_bfloat16
    if cpu_supports_bfloat16():
        for key in ('model_step_amp', 'runner_amp',
                    'inference_amp_throughput'):
            assert rows[key] > 0, key
        assert 'runner_amp / runner_float32: ' in printed


@pytest.mark.slow
def test_benchmark_of_an_avvp_config(tmp_path, capsys):
    """The LLP config on a generated LLP folder: the same rows."""
    tool = load_tool()
    out = str(tmp_path / 'figures.json')
    tool.main([
        osp.join(REPO_ROOT, 'configs/cpsp_avvp_llp.py'), '--num-videos',
        '40', '--iters', '1', '--epochs', '2', '--rounds', '1',
        '--skip-float64', '--skip-amp', '--out', out
    ])
    with open(out) as file:
        results = json.load(file)
    assert results['batch_size'] == 16
    for key in ('model_step_float32', 'runner_float32',
                'inference_throughput', 'loader_config'):
        assert results['cpu'][key] > 0, key
    assert 'runner / model step: ' in capsys.readouterr().out
