"""tools/test.py --show-dir draws one timeline per test video."""
import os

from tool_runner import CONFIG, run_tool, small_run_options

from mmcpsp.datasets import AVEDataset


def test_show_dir_writes_one_figure_per_test_video(trained_checkpoint,
                                                   tiny_ave_root, tmp_path):
    show_dir = tmp_path / 'show'
    result = run_tool([
        'tools/test.py', CONFIG, trained_checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--show-dir', str(show_dir), '--cfg-options',
        *small_run_options(tiny_ave_root)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    dataset = AVEDataset(data_root=tiny_ave_root, split='test')
    expected = sorted(f"{dataset.get_data_info(i)['video_id']}.png"
                      for i in range(len(dataset)))
    assert sorted(os.listdir(show_dir)) == expected
    for name in expected:
        with open(show_dir / name, 'rb') as figure:
            assert figure.read(8) == b'\x89PNG\r\n\x1a\n'
