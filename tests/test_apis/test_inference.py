import os.path as osp
import warnings

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmcpsp.apis import (
    AVFeatureExtractor,
    inference_localizer,
    init_localizer,
)
from mmcpsp.datasets.ave import AVE_CATEGORIES, parse_annotations
from mmcpsp.testing import random_image, write_test_video
from mmcpsp.testing.localization import assert_consistent_result
from mmcpsp.testing.weights import write_random_vgg19, write_random_vggish

CONFIG = 'configs/cpsp_fully_ave.py'
CLASSES = AVE_CATEGORIES


@pytest.fixture(scope='module')
def saved_checkpoint(tmp_path_factory) -> str:
    """A checkpoint as the runner writes it: weights, config, class names."""
    torch.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = init_localizer(CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'epoch_1.pth')
    torch.save(
        dict(
            meta=dict(
                cfg=Config.fromfile(CONFIG).pretty_text,
                dataset_meta=dict(
                    classes=CLASSES + ('background', ),
                    num_classes=28,
                    background_index=28)),
            state_dict=model.state_dict()), path)
    return path


@pytest.fixture(scope='module')
def model(saved_checkpoint):
    return init_localizer(None, saved_checkpoint)


def features(num_segments: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.random((num_segments, 128), np.float32),
            rng.random((num_segments, 7, 7, 512), np.float32))


def test_checkpoint_alone_gives_weights_config_and_classes(
        model, saved_checkpoint):
    state_dict = torch.load(saved_checkpoint, weights_only=False)[
        'state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, state_dict[key]), key
    assert model.dataset_meta['classes'] == CLASSES + ('background', )
    assert model.dataset_meta['num_classes'] == 28
    assert model.cfg.model.type == 'AVELLocalizer'
    assert not model.training
    with_config = init_localizer(CONFIG, saved_checkpoint)
    assert with_config.dataset_meta == model.dataset_meta


def test_config_with_fixed_class_names_names_a_bare_checkpoint(
        tmp_path, model):
    # AVE's 28 categories come from the dataset of the config.
    path = str(tmp_path / 'bare.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        bare = init_localizer(CONFIG, path)
    assert bare.dataset_meta['classes'] == CLASSES + ('background', )
    with pytest.raises(ValueError, match='stores none'):
        init_localizer(None, path)


def test_without_class_names_warns_and_names_generically(tmp_path, model):
    path = str(tmp_path / 'bare.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    cfg = Config.fromfile(CONFIG)
    # A dataset whose classes only its files name.
    cfg.test_dataloader.dataset = dict(
        type='NpyFeatureDataset', data_root=str(tmp_path),
        ann_file='annotations.csv', split='test')
    with pytest.warns(UserWarning, match='names the classes'):
        bare = init_localizer(cfg, path)
    assert bare.dataset_meta['classes'][:2] == ('class 0', 'class 1')


def test_class_count_and_weights_must_match(tmp_path, model):
    path = str(tmp_path / 'five.pth')
    torch.save(
        dict(
            meta=dict(dataset_meta=dict(classes=('a', 'b', 'background'))),
            state_dict=model.state_dict()), path)
    with pytest.raises(ValueError, match='28 classes .* names 2'):
        init_localizer(CONFIG, path)
    state_dict = dict(model.state_dict())
    state_dict.pop('head.event_classifier.bias')
    torch.save(dict(state_dict=state_dict), path)
    with pytest.raises(RuntimeError, match='head.event_classifier.bias'):
        init_localizer(CONFIG, path)


@pytest.mark.parametrize('num_segments', [7, 10, 25])
def test_arrays_of_any_length(model, num_segments):
    audio, visual = features(num_segments)
    result = inference_localizer(model, (audio, visual))
    assert result.num_segments == num_segments
    assert result.duration == num_segments
    assert result.gt_segment_labels is None
    assert_consistent_result(result, model.head.event_threshold)
    overlapped = inference_localizer(model, (audio, visual), stride=5)
    assert_consistent_result(overlapped, model.head.event_threshold)


def test_feature_files(model, tmp_path):
    audio, visual = features(12, seed=3)
    expected = inference_localizer(model, (audio, visual))
    np.save(tmp_path / 'clip_audio.npy', audio)
    np.save(tmp_path / 'clip_visual.npy', visual)
    from_npy = inference_localizer(
        model, (tmp_path / 'clip_audio.npy', str(tmp_path / 'clip_visual.npy')))
    np.savez(tmp_path / 'clip.npz', audio=audio, visual=visual, duration=11.5)
    from_npz = inference_localizer(model, str(tmp_path / 'clip.npz'))
    assert from_npz.video == 'clip'
    assert from_npz.duration == 11.5
    from_dict = inference_localizer(
        model, dict(audio=audio, visual=visual, name='mine'))
    assert from_dict.video == 'mine'
    for kind, array in (('audio', audio), ('visual', visual)):
        (tmp_path / kind).mkdir()
        np.save(tmp_path / kind / 'clip.npy', array)
    from_layout = inference_localizer(model,
                                      str(tmp_path / 'visual' / 'clip.npy'))
    assert from_layout.video == 'clip'
    for result in (from_npy, from_npz, from_dict, from_layout):
        np.testing.assert_array_equal(result.segment_labels,
                                      expected.segment_labels)
        np.testing.assert_allclose(result.event_scores, expected.event_scores)


def test_ave_root_and_video_id_carry_ground_truth(model, tiny_ave_root):
    annotations = parse_annotations(osp.join(tiny_ave_root,
                                             'Annotations.txt'))
    row = 5
    result = inference_localizer(
        model, dict(data_root=tiny_ave_root,
                    video_id=annotations.video_ids[row]))
    assert result.video == annotations.video_ids[row]
    assert result.num_segments == 10
    np.testing.assert_array_equal(result.gt_segment_labels,
                                  annotations.segment_labels()[row])
    assert_consistent_result(result, model.head.event_threshold)


def test_bad_inputs(model, tmp_path, tiny_ave_root):
    audio, visual = features(4)
    with pytest.raises(TypeError, match='inputs must be'):
        inference_localizer(model, 42)
    with pytest.raises(ValueError, match='same seconds'):
        inference_localizer(model, (audio, visual[:3]))
    with pytest.raises(ValueError, match='channels-last'):
        inference_localizer(model, (audio, visual.reshape(4, 49, 512)))
    np.savez(tmp_path / 'half.npz', audio=audio)
    with pytest.raises(ValueError, match='visual'):
        inference_localizer(model, str(tmp_path / 'half.npz'))
    np.save(tmp_path / 'lone.npy', audio)
    with pytest.raises(ValueError, match='audio/ or visual/'):
        inference_localizer(model, str(tmp_path / 'lone.npy'))
    (tmp_path / 'audio').mkdir()
    np.save(tmp_path / 'audio' / 'lone.npy', audio)
    with pytest.raises(ValueError, match='no visual features'):
        inference_localizer(model, str(tmp_path / 'audio' / 'lone.npy'))
    audio[1, 3] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        inference_localizer(model, (audio, visual))
    with pytest.raises(KeyError, match='nope'):
        inference_localizer(model, dict(data_root=tiny_ave_root,
                                        video_id='nope'))


@pytest.fixture(scope='module')
def extractor(tmp_path_factory):
    """VGGish and VGG-19 from weight files of the published layouts (random
    values); one frame per second keeps VGG-19 cheap."""
    folder = tmp_path_factory.mktemp('weights')
    write_random_vggish(str(folder / 'vggish.pth'))
    write_random_vgg19(str(folder / 'vgg19.pth'))
    return AVFeatureExtractor(str(folder / 'vggish.pth'),
                              str(folder / 'vgg19.pth'),
                              frames_per_segment=1)


def test_video_of_any_length(model, extractor, tmp_path):
    path = str(tmp_path / 'seven.mp4')
    write_test_video(path, [random_image(second) for second in range(7)],
                     tones=[440, 440, 880, 880, 0, 660, 660])
    result = inference_localizer(model, path, extractor=extractor,
                                 with_attention=True)
    assert result.video == 'seven'
    assert result.num_segments == 7
    assert result.duration == pytest.approx(7.0)
    assert result.attention.shape == (7, 7, 7)
    assert_consistent_result(result, model.head.event_threshold)
    with pytest.raises(ValueError, match='extractor=AVFeatureExtractor'):
        inference_localizer(model, path)


def test_raw_video_model_decodes_as_its_pipeline(tmp_path):
    cfg = Config.fromfile('configs/cpsp_fully_ave_rawvideo.py')
    cfg.test_dataloader.dataset.pipeline[0].frames_per_segment = 1
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # no class names: generic ones
        raw_model = init_localizer(cfg)
    path = str(tmp_path / 'five.mp4')
    write_test_video(path, [random_image(second) for second in range(5)],
                     tones=[440, 0, 880, 880, 0])
    result = inference_localizer(raw_model, path, with_attention=True)
    assert result.num_segments == 5
    assert result.attention.shape == (5, 7, 7)
    assert_consistent_result(result, raw_model.head.event_threshold)


def test_llp_feature_layout_and_frames_per_second(tmp_path, tiny_llp_root):
    """LLP's feats/{vggish,res152,r2plus1d_18}/<id>.npy, the released
    [80, 2048] frames read as [10, 8, 2048], as an .npz too."""
    from mmcpsp.apis import load_feature_inputs
    from mmcpsp.datasets import LLPDataset
    dataset = LLPDataset(data_root=tiny_llp_root, split='test')
    video_id = dataset.get_data_info(0)['video_id'][:11]
    keys = ('audio', 'visual', 'visual_st')
    path = osp.join(tiny_llp_root, 'feats', 'res152', video_id + '.npy')
    released = np.load(path)
    assert released.shape == (80, 2048)
    loaded = load_feature_inputs(path, input_keys=keys)
    assert loaded.name == video_id
    np.testing.assert_array_equal(loaded.inputs['visual'],
                                  released.reshape(10, 8, 2048))
    np.savez(tmp_path / 'clip.npz', visual=released, **{
        key: np.load(osp.join(tiny_llp_root, 'feats', folder,
                              video_id + '.npy'))
        for key, folder in (('audio', 'vggish'),
                            ('visual_st', 'r2plus1d_18'))
    })
    from_npz = load_feature_inputs(str(tmp_path / 'clip.npz'), input_keys=keys)
    for key in keys:
        np.testing.assert_array_equal(from_npz.inputs[key],
                                      loaded.inputs[key])
    with pytest.raises(ValueError, match='feats/vggish/'):
        load_feature_inputs(str(tmp_path / 'clip.npy'), input_keys=keys)
