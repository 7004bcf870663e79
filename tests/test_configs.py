"""Every config of configs/ builds its model, datasets and metric, and runs."""
import glob
import json
import os
import os.path as osp
import re
import runpy
import shutil
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmcpsp.apis import FeatureInputs, inference_localizer, init_localizer
from mmcpsp.registry import DATASETS
from mmcpsp.testing.localization import assert_consistent

CONFIG_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                       'configs')
CANONICAL = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, '*', '*.py'))
    if not path.startswith(osp.join(CONFIG_ROOT, '_base_')))
ALIASES = sorted(
    osp.basename(path) for path in glob.glob(osp.join(CONFIG_ROOT, '*.py')))
#: Configs whose walk takes over a minute on a 2-core CPU (X3D trained end
#: to end on decoded videos): in the slow target, canonical and alias.
SLOW_WALKS = ('x3d', )


def walked_configs() -> list:
    return [
        pytest.param(name, marks=pytest.mark.slow)
        if any(key in name for key in SLOW_WALKS) else name
        for name in CANONICAL + ALIASES
    ]


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
    # Video parsing: CPSP, PSP-MMIL as the release ran, and HAN.
    for algo in ('cpsp', 'psp', 'han'):
        assert f'{algo}_avvp_llp.py' in aliases


#: Last words of aliases that name a backbone variant.
BACKBONE_TAGS = ('_x3d', )


@pytest.mark.parametrize('alias', ALIASES)
def test_alias_points_at_the_matching_canonical_config(alias):
    """E.g. cpsp_fully_vggsound_avel50k.py ->
    cpsp/cpsp_..._vggsound-avel50k-fully.py, psp_cvpr21_fully_ave.py ->
    psp/psp-cvpr21_..._ave-fully.py."""
    match = re.fullmatch(
        r'(cpsp|psp_cvpr21|psp|sspsp|han)_(fully|weakly_noisy|weakly|avvp)_'
        r'(ave_rawvideo|ave|vggsound_avel100k|vggsound_avel50k|llp)'
        rf'({"|".join(BACKBONE_TAGS)})?\.py', alias)
    assert match, alias
    algo, setting, dataset, tag = match.groups()
    with open(osp.join(CONFIG_ROOT, alias)) as f:
        base_line = next(line for line in f if line.startswith('_base_'))
    canonical = osp.normpath(base_line.split("'")[1])
    assert canonical in CANONICAL
    folder = algo.split('_')[0]
    assert canonical.startswith(f"{folder}/{algo.replace('_', '-')}_")
    if tag:
        # cpsp_fully_ave_rawvideo_x3d.py: a backbone variant, named in the
        # backbone field of the canonical name.
        assert tag[1:] in osp.basename(canonical).split('_')[1]
    assert canonical.endswith(
        f"_{dataset.replace('_', '-')}-{setting.replace('_', '-')}.py")


#: Dataset type of a config -> the fixture of generated data of its shapes.
DATA_FIXTURES = dict(
    AVEDataset='tiny_ave_root',
    AVEVideoDataset='tiny_ave_videos_root',
    NpyFeatureDataset='tiny_npy_root',
    LLPDataset='tiny_llp_root',
    VGGSoundAVELDataset='tiny_vggsound_root')
#: Checked configs: resolved text -> name, so an alias whose config equals
#: its canonical file (test above) is not trained twice.
CHECKED = {}


def small_config(cfg: Config, data_root: str, work_dir: str) -> Config:
    """The config on generated data, one epoch, no loader processes."""
    if cfg.train_dataloader.dataset.type == 'AVEVideoDataset':
        shrink_video_inputs(cfg)
    cfg.work_dir = work_dir
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = data_root
        loader.num_workers = 0
        loader.persistent_workers = False
    return cfg


def first_test_video(cfg: Config, model):
    """The first test video: its packed inputs and the model's own
    test_step prediction."""
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    item = dataset[0]
    prediction = model.test_step(pseudo_collate([item]))[0]
    return dataset, item, prediction


def long_input(cfg: Config, item: dict, tmp_path, seconds: int):
    """An input of ``seconds`` seconds for inference_localizer and the demo:
    a video for a raw-video config, else an .npz of the model's inputs."""
    if cfg.test_dataloader.dataset.type == 'AVEVideoDataset':
        from mmcpsp.testing import random_image, write_test_video
        path = str(tmp_path / 'long.mp4')
        write_test_video(
            path, [random_image(second, (32, 32))
                   for second in range(seconds)],
            [440.0] * seconds, fps=2)
        return path
    rng = np.random.default_rng(0)
    arrays = {
        key: rng.random((seconds, ) + tuple(value.shape[1:]),
                        dtype=np.float32)
        for key, value in item['inputs'].items()
    }
    path = str(tmp_path / 'long.npz')
    np.savez(path, **arrays)
    return path


def run_script(script: str, *args: str) -> None:
    """Run a tool of the repository in this process, as its command line
    would."""
    argv = sys.argv
    sys.argv = [script, *args]
    try:
        runpy.run_path(osp.join(osp.dirname(CONFIG_ROOT), script),
                       run_name='__main__')
    finally:
        sys.argv = argv


@pytest.mark.parametrize('name', walked_configs())
def test_config_works_with_every_tool(name, request, tmp_path):
    """Every config builds, trains an epoch of generated data of its
    shapes, tests with --show-dir, and runs through init_localizer +
    inference_localizer (10 s: the labels of its test_step; 23 s: 23
    consistent labels) and the demo."""
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    assert cfg.default_scope == 'mmcpsp'
    if cfg.pretty_text in CHECKED:
        return  # the same config as one checked under another name
    init_default_scope('mmcpsp')
    data_root = request.getfixturevalue(
        DATA_FIXTURES[cfg.train_dataloader.dataset.type])
    cfg = small_config(cfg, data_root, str(tmp_path / 'work'))
    config_path = str(tmp_path / 'config.py')
    cfg.dump(config_path)

    Runner.from_cfg(cfg).train()
    checkpoint = str(tmp_path / 'work' / 'epoch_1.pth')
    show_dir = tmp_path / 'show'
    run_script('tools/test.py', config_path, checkpoint, '--work-dir',
               str(tmp_path / 'test'), '--show-dir', str(show_dir))

    model = init_localizer(None, checkpoint)
    dataset, item, prediction = first_test_video(cfg, model)
    assert sorted(os.listdir(show_dir)) == sorted(
        f"{dataset.get_data_info(index)['video_id']}.png"
        for index in range(len(dataset)))
    head = model.head
    threshold = head.decision_threshold
    if dataset.reads_videos:
        ten_seconds = dataset.get_data_info(0)['filename']
    else:
        ten_seconds = FeatureInputs(
            'ten', {key: value.numpy()
                    for key, value in item['inputs'].items()})
    result = inference_localizer(model, ten_seconds)
    for key in head.label_keys:
        np.testing.assert_array_equal(
            getattr(result, key), prediction.get('pred_' + key).numpy())

    long = long_input(cfg, item, tmp_path, seconds=23)
    result = inference_localizer(model, long)
    assert result.num_segments == 23
    assert_consistent(result, threshold)

    out_dir = tmp_path / 'demo'
    run_script('demo/demo_avel.py', long, config_path, checkpoint,
               '--out-dir', str(out_dir))
    with open(out_dir / 'long.json') as file:
        assert len(json.load(file)['segments']) == 23
    assert (out_dir / 'long.png').stat().st_size > 0
    CHECKED[Config.fromfile(osp.join(CONFIG_ROOT, name)).pretty_text] = name
