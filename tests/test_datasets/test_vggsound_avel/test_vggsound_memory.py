import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config

from mmcpsp.testing.synthetic_vggsound_avel import (
    generate_synthetic_vggsound_avel,
)

TOOL = Path(__file__).parents[3] / 'tools/analysis_tools/benchmark_memory.py'
#: The memory a pass may add above the interpreter with its imports.
BOUND_MIB = 1.5e9 / 2**20
CONFIGS = Path(__file__).parents[3] / 'configs'


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_memory', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pass_stays_within_the_memory_bound(tmp_path):
    """Reading the 400 test videos of a 2,000-video data root (HDF5 layout;
    the dataset parses the whole meta CSV and index) with two DataLoader
    workers holds less than 1.5 GB above the baseline.

    Runs in a fresh interpreter so that the baseline is that of a process
    that only imported mmcpsp, as in training."""
    data_root = tmp_path / 'root'
    generate_synthetic_vggsound_avel(str(data_root), 2000, layout='hdf5')
    output = subprocess.run(
        [
            sys.executable, str(TOOL), str(tmp_path), '--measure',
            str(data_root), '--batch-size', '32', '--splits', 'test'
        ],
        check=True, stdout=subprocess.PIPE, text=True, timeout=300).stdout
    result = json.loads(output.strip().splitlines()[-1])
    assert result['samples'] == 400
    # Two workers ran beside the main process.
    assert result['peak_processes'] == 3
    assert 0 < result['peak_pss_above_baseline_mib'] < BOUND_MIB
    # RSS counts pages shared between the processes once per process; even
    # so it stays within the bound.
    assert 0 < result['peak_rss_above_baseline_mib'] < BOUND_MIB
    # So does the memory held, batches in flight included.
    assert 0 < result['peak_total_above_baseline_mib'] < BOUND_MIB


def test_tool_reads_with_the_collate_of_the_configs():
    tool = load_tool()
    for name in ('vggsound_avel100k_fully.py', 'vggsound_avel100k_weakly.py'):
        config = Config.fromfile(CONFIGS / '_base_' / 'datasets' / name)
        for loader in ('train', 'val', 'test'):
            assert (dict(config[f'{loader}_dataloader'].collate_fn) ==
                    tool.CONFIG_COLLATE)
    args = tool.parse_args(['work_dir'])
    assert tool.collate_config(args) == tool.CONFIG_COLLATE
    args = tool.parse_args(['work_dir', '--collate', 'pseudo_collate'])
    assert tool.collate_config(args) == dict(type='pseudo_collate')
