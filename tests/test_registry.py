import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

from mmcpsp import registry

MMACTION_CONFIG = """
default_scope = 'mmcpsp'
custom_imports = dict(imports=['mmcpsp'], allow_failed_imports=False)
model = dict(
    type='Recognizer2D',
    backbone=dict(type='ResNet', depth=18, pretrained=None),
    cls_head=dict(type='TSNHead', num_classes=5, in_channels=512),
    data_preprocessor=dict(type='ActionDataPreprocessor'))
pipeline = [
    dict(type='DecordInit'),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs'),
]
"""


@pytest.fixture()
def mmcpsp_scope():
    init_default_scope('mmcpsp')
    yield
    DefaultScope._instance_dict.clear()


class TestRegistry:

    @pytest.mark.parametrize('name', registry.__all__)
    def test_nodes_are_children_of_mmaction(self, name):
        node = getattr(registry, name)
        assert node.scope == 'mmcpsp'
        assert node.parent is not None and node.parent.scope == 'mmaction'

    def test_mmaction_modules_build_without_prefix(self, tmp_path,
                                                   mmcpsp_scope):
        path = tmp_path / 'recognizer.py'
        path.write_text(MMACTION_CONFIG)
        cfg = Config.fromfile(str(path))
        model = registry.MODELS.build(cfg.model)
        assert type(model).__module__.startswith('mmaction.')
        assert type(model.backbone).__name__ == 'ResNet'
        transforms = [registry.TRANSFORMS.build(t) for t in cfg.pipeline]
        assert type(transforms[-1]).__name__ == 'PackActionInputs'

    def test_own_modules_resolve_in_own_scope(self, mmcpsp_scope):
        pack = registry.TRANSFORMS.get('PackAVELInputs')
        assert pack.__module__.startswith('mmcpsp.')
        assert registry.HOOKS.get('SafeCheckpointHook') is not None
        # mmcpsp's names are not visible from mmaction's scope.
        from mmaction.registry import TRANSFORMS
        assert 'PackAVELInputs' not in TRANSFORMS.module_dict
