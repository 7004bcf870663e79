"""Every config of configs/ builds its model, datasets and metric, and runs."""
import glob
import math
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmcpsp.registry import DATASETS, METRICS, MODELS

CONFIG_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                       'configs')
CANONICAL = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, '*', '*.py'))
    if not path.startswith(osp.join(CONFIG_ROOT, '_base_')))
ALIASES = sorted(
    osp.basename(path) for path in glob.glob(osp.join(CONFIG_ROOT, '*.py')))


@pytest.fixture(scope='module')
def tiny_ave_videos_root(tmp_path_factory) -> str:
    from mmcpsp.datasets.ave import AVE_CATEGORIES
    from mmcpsp.testing import write_ave_videos
    root = str(tmp_path_factory.mktemp('tiny_ave_videos'))
    write_ave_videos(root, AVE_CATEGORIES[:3], num_videos=10, fps=1,
                     size=(32, 32))
    return root


@pytest.fixture(scope='module')
def tiny_npy_root(tmp_path_factory) -> str:
    """One video per AVE category, features of other sizes and lengths."""
    from mmcpsp.datasets.ave import AVE_CATEGORIES
    root = tmp_path_factory.mktemp('tiny_npy')
    rng = np.random.default_rng(0)
    lines = ['video_id,category,split,start,end']
    for kind, dim in (('audio', 2048), ('visual', 768)):
        (root / kind).mkdir()
        for index in range(len(AVE_CATEGORIES)):
            np.save(root / kind / f'v{index}.npy',
                    rng.random((8 + index % 5, dim), dtype=np.float32))
    for index, category in enumerate(AVE_CATEGORIES):
        split = ('train', 'val', 'test')[index % 3]
        lines.append(f'v{index},"{category}",{split},{index % 5},10')
    (root / 'annotations.csv').write_text('\n'.join(lines) + '\n')
    return str(root)


def shrink_video_inputs(cfg: Config) -> None:
    """One 32 x 32 frame per segment (1 x 1 maps): seconds on CPU."""
    cfg.model.backbone.num_regions = 1
    for split in ('train', 'val', 'test'):
        decode = cfg[f'{split}_dataloader'].dataset.pipeline[0]
        decode.frames_per_segment = 1
        decode.frame_size = (32, 32)


@pytest.fixture(scope='module')
def tiny_vggsound_root(tmp_path_factory) -> str:
    from mmcpsp.testing.synthetic_vggsound_avel import (
        generate_synthetic_vggsound_avel,
    )
    root = str(tmp_path_factory.mktemp('tiny_vggsound'))
    generate_synthetic_vggsound_avel(root, num_videos=40, seed=0)
    # The same folder serves the 50k configs, whose CSV has its own name.
    shutil.copy(
        osp.join(root, 'vggsound-avel100k.csv'),
        osp.join(root, 'vggsound-avel50k.csv'))
    return root


def test_every_published_setting_has_a_config():
    aliases = set(ALIASES)
    for algo, settings in (('cpsp', ('fully', 'weakly')),
                           ('psp', ('fully', 'weakly')),
                           ('sspsp', ('fully', ))):
        for setting in settings:
            for dataset in ('ave', 'vggsound_avel100k', 'vggsound_avel50k'):
                assert f'{algo}_{setting}_{dataset}.py' in aliases


#: Last words of aliases that name a backbone variant.
BACKBONE_TAGS = ('_x3d', )


@pytest.mark.parametrize('alias', ALIASES)
def test_alias_points_at_the_matching_canonical_config(alias):
    """cpsp_fully_vggsound_avel50k.py -> cpsp/cpsp_..._vggsound-avel50k-fully.py"""
    algo, setting, dataset = alias[:-3].split('_', 2)
    with open(osp.join(CONFIG_ROOT, alias)) as f:
        base_line = next(line for line in f if line.startswith('_base_'))
    canonical = osp.normpath(base_line.split("'")[1])
    assert canonical in CANONICAL
    assert canonical.startswith(f'{algo}/{algo}_')
    if dataset.endswith(BACKBONE_TAGS):
        # cpsp_fully_ave_rawvideo_x3d.py: a backbone variant, named in the
        # backbone field of the canonical name.
        dataset, tag = dataset.rsplit('_', 1)
        assert tag in osp.basename(canonical).split('_')[1]
    assert canonical.endswith(f"_{dataset.replace('_', '-')}-{setting}.py")


@pytest.mark.parametrize('name', CANONICAL)
def test_config_builds_and_runs(name, tiny_ave_root, tiny_vggsound_root,
                                tiny_ave_videos_root, tiny_npy_root):
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    assert cfg.default_scope == 'mmcpsp'
    init_default_scope('mmcpsp')
    dataset_type = cfg.train_dataloader.dataset.type
    data_root = dict(
        AVEDataset=tiny_ave_root,
        AVEVideoDataset=tiny_ave_videos_root,
        NpyFeatureDataset=tiny_npy_root).get(dataset_type,
                                             tiny_vggsound_root)
    num_classes = 141 if data_root == tiny_vggsound_root else 28
    if dataset_type == 'AVEVideoDataset':
        shrink_video_inputs(cfg)
    assert cfg.model.head.num_classes == num_classes

    model = MODELS.build(cfg.model)
    datasets = {}
    for split in ('train', 'val', 'test'):
        dataset_cfg = cfg[f'{split}_dataloader'].dataset
        dataset_cfg.data_root = data_root
        datasets[split] = DATASETS.build(dataset_cfg)
        assert datasets[split].metainfo['num_classes'] == num_classes

    batch = model.data_preprocessor(
        pseudo_collate([datasets['train'][i] for i in range(2)]), True)
    losses = model(**batch, mode='loss')
    total = sum(value for key, value in losses.items() if 'loss' in key)
    assert math.isfinite(total.item())

    metric = METRICS.build(cfg.test_evaluator)
    model.eval()
    batch = model.data_preprocessor(
        pseudo_collate([datasets['test'][i] for i in range(2)]), False)
    predictions = model(**batch, mode='predict')
    metric.process({}, [sample.to_dict() for sample in predictions])
    results = metric.compute_metrics(metric.results)
    assert 0 <= results['segment_acc'] <= 100
