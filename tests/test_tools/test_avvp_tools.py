"""The AVVP command lines of issue 16: train, test with --dump and
--metrics-out in both filter conventions, and the demo with LLP's dense
annotations."""
import glob
import json
import os.path as osp
import pickle

import numpy as np
import pytest
from tool_runner import run_tool

from mmcpsp.datasets.llp import LLP_CLASSES

AVVP_CONFIG = 'configs/cpsp_avvp_llp.py'
KEYS = [f'avvp/{level}_{name}' for level in ('segment', 'event')
        for name in ('audio', 'visual', 'audio_visual', 'type', 'event')]


def data_options(root: str) -> list:
    return [f'{split}_dataloader.dataset.data_root={root}'
            for split in ('train', 'val', 'test')]


@pytest.fixture(scope='module')
def avvp_run(tiny_llp_root, tmp_path_factory) -> str:
    work_dir = str(tmp_path_factory.mktemp('avvp_run'))
    result = run_tool([
        'tools/train.py', AVVP_CONFIG, '--work-dir', work_dir,
        '--cfg-options', *data_options(tiny_llp_root),
        'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1'
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def test_train_keeps_last_and_best(avvp_run):
    assert osp.isfile(osp.join(avvp_run, 'epoch_2.pth'))
    assert glob.glob(
        osp.join(avvp_run, 'best_avvp_segment_type_epoch_*.pth'))


@pytest.mark.parametrize('filter_by', ['modality', 'global'])
def test_test_dump_and_metrics(avvp_run, tiny_llp_root, tmp_path,
                               filter_by):
    dump, metrics = tmp_path / 'out.pkl', tmp_path / 'out.json'
    result = run_tool([
        'tools/test.py', AVVP_CONFIG,
        osp.join(avvp_run, 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 'w'), '--dump', str(dump), '--metrics-out',
        str(metrics), '--cfg-options',
        f'test_dataloader.dataset.data_root={tiny_llp_root}',
        f'test_evaluator.filter_by={filter_by}'
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    scores = json.loads(metrics.read_text())
    assert set(KEYS) <= set(scores)
    assert all(0 <= scores[key] <= 100 for key in KEYS)
    with open(dump, 'rb') as file:
        samples = pickle.load(file)
    assert len(samples) == 4  # the tiny folder's test split
    for sample in samples:
        assert isinstance(sample['video_id'], str)
        for key in ('pred_audio', 'pred_visual', 'pred_audio_labels',
                    'pred_visual_labels'):
            assert tuple(sample[key].shape) == (10, 25), key
        for key in ('pred_global', 'pred_audio_global',
                    'pred_visual_global'):
            assert tuple(sample[key].shape) == (25, ), key
        for modality in ('audio', 'visual'):
            labels = np.asarray(sample[f'pred_{modality}_labels'])
            assert set(np.unique(labels)) <= {0, 1}
            video = np.asarray(sample[f'pred_{modality}_global'
                                      if filter_by == 'modality' else
                                      'pred_global'])
            expected = (np.asarray(sample[f'pred_{modality}']) >= 0.5) & (
                video >= 0.5)
            np.testing.assert_array_equal(labels, expected)


def test_demo_with_dense_annotations(avvp_run, tmp_path):
    """A 25-second features file, its audio and visual ground truth in
    LLP's dense format: JSON with the three event lists, and a figure."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / 'clip.npz',
             audio=rng.random((25, 128), dtype=np.float32),
             visual=rng.random((25, 8, 2048), dtype=np.float32),
             visual_st=rng.random((25, 512), dtype=np.float32))
    header = 'filename\tonset\toffset\tevent_labels\n'
    (tmp_path / 'AVVP_eval_audio.csv').write_text(
        header + f'clip\t0\t4\t{LLP_CLASSES[3]}\n')
    (tmp_path / 'AVVP_eval_visual.csv').write_text(
        header + f'clip\t2\t9\t{LLP_CLASSES[5]}\nother\t0\t3\t'
        f'{LLP_CLASSES[1]}\n')
    out_dir = tmp_path / 'out'
    result = run_tool([
        'demo/demo_avel.py',
        str(tmp_path / 'clip.npz'), AVVP_CONFIG,
        osp.join(avvp_run, 'epoch_2.pth'), '--out-dir',
        str(out_dir), '--annotations',
        str(tmp_path)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((out_dir / 'clip.json').read_text())
    for key in ('audio_events', 'visual_events', 'audio_visual_events'):
        assert key in data
    assert len(data['segments']) == 25
    assert (out_dir / 'clip.png').read_bytes()[:4] == b'\x89PNG'


def test_video_with_sound_through_the_llp_extractor(avvp_run, tmp_path):
    """A generated 25-second video with sound, an AVVP features model: the
    LLP recipe's extractor is the one chosen (small frames here: the
    networks are those of the recipe), 25 seconds parsed, JSON and figure
    written as the demo writes them."""
    from mmcpsp.apis import (
        init_localizer,
        localize_inputs,
        read_file_inputs,
        write_result_files,
    )
    from mmcpsp.apis.file_inference import (
        build_video_extractor,
        video_needs_weights,
    )
    from mmcpsp.apis.llp_feature_extractor import LLPFeatureExtractor
    from mmcpsp.testing import random_image, write_test_video
    from mmcpsp.testing.weights import (
        write_random_r2plus1d_18,
        write_random_torchvision_resnet,
        write_random_vggish,
    )
    model = init_localizer(None, osp.join(avvp_run, 'epoch_2.pth'))
    weights = dict(audio_weights=str(tmp_path / 'vggish.pth'),
                   res152_weights=str(tmp_path / 'r152.pth'),
                   r2plus1d_weights=str(tmp_path / 'r2p1d.pth'))
    assert build_video_extractor(model, dict(weights, r2plus1d_weights=None)
                                 ) is None
    assert '--res152-weights (ResNet-152)' in video_needs_weights(model)
    write_random_vggish(weights['audio_weights'])
    write_random_torchvision_resnet(weights['res152_weights'])
    write_random_r2plus1d_18(weights['r2plus1d_weights'])
    assert isinstance(build_video_extractor(model, weights),
                      LLPFeatureExtractor)
    video = str(tmp_path / 'clip25.mp4')
    write_test_video(video, [random_image(s, (48, 64)) for s in range(25)],
                     tones=[440 + 110 * (s % 4) for s in range(25)])
    extractor = LLPFeatureExtractor(*weights.values(), frame_size=32,
                                    clip_size=32)
    inputs = read_file_inputs(model, video, extractor)
    assert inputs.inputs['visual'].shape == (25, 8, 2048)
    assert inputs.frames.shape[0] == 25
    result = localize_inputs(model, inputs)
    assert result.num_segments == 25
    written = write_result_files(result, str(tmp_path / 'out'), None)
    data = json.loads((tmp_path / 'out' / 'clip25.json').read_text())
    assert len(data['segments']) == 25
    assert {'audio_events', 'visual_events',
            'audio_visual_events'} <= set(data)
    assert any(path.endswith('.png') for path in written)
