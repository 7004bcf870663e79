import pytest
from mmengine.config import Config

from mmcpsp.engine import enable_visualization


def test_enables_the_configured_hook():
    cfg = Config.fromfile('configs/cpsp_fully_ave.py')
    assert cfg.default_hooks.visualization == dict(
        type='AVELVisualizationHook', enable=False)
    assert cfg.visualizer.type == 'AVELVisualizer'
    enable_visualization(cfg, 'show', interval=3)
    assert cfg.default_hooks.visualization == dict(
        type='AVELVisualizationHook', enable=True, out_dir='show',
        interval=3)


def test_adds_the_hook_when_the_config_has_none():
    cfg = Config(dict(default_hooks=dict(timer=dict(type='IterTimerHook'))))
    enable_visualization(cfg, 'show')
    assert cfg.default_hooks.visualization == dict(
        type='AVELVisualizationHook', enable=True, out_dir='show',
        interval=1)
    assert cfg.default_hooks.timer.type == 'IterTimerHook'
    empty = Config(dict())
    enable_visualization(empty, 'out')
    assert empty.default_hooks.visualization.out_dir == 'out'
    with pytest.raises(ValueError, match='interval'):
        enable_visualization(cfg, 'show', interval=0)
