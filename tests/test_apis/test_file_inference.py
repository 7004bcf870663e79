"""The steps both demos share: reading one file, its errors, the outputs."""
import json
import os.path as osp
import warnings

import numpy as np
import pytest
import torch

from mmcpsp.apis import (
    AVFeatureExtractor,
    InputFileError,
    init_localizer,
    localize_inputs,
    read_file_inputs,
    write_result_files,
)
from mmcpsp.apis.file_inference import (
    VIDEO_NEEDS_WEIGHTS,
    needs_extractor,
    reads_raw_videos,
)
from mmcpsp.testing import random_image, write_test_video
from mmcpsp.testing.weights import write_random_vgg19, write_random_vggish

CONFIG = 'configs/cpsp_fully_ave.py'


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random weights
        return init_localizer(CONFIG)


@pytest.fixture(scope='module')
def extractor(tmp_path_factory) -> AVFeatureExtractor:
    folder = tmp_path_factory.mktemp('weights')
    write_random_vggish(str(folder / 'vggish.pth'))
    write_random_vgg19(str(folder / 'vgg19.pth'))
    return AVFeatureExtractor(str(folder / 'vggish.pth'),
                              str(folder / 'vgg19.pth'),
                              frames_per_segment=1)


def features_file(path, num_segments: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    np.savez(path, audio=rng.random((num_segments, 128), np.float32),
             visual=rng.random((num_segments, 7, 7, 512), np.float32))
    return str(path)


def test_features_model_needs_the_extractor_for_videos_only(model):
    assert not reads_raw_videos(model)
    assert needs_extractor(model, 'clip.mp4')
    assert not needs_extractor(model, 'clip.npz')
    with pytest.raises(InputFileError) as info:
        read_file_inputs(model, '/server/clip.mp4', shown_as='clip.mp4')
    assert str(info.value) == f'clip.mp4: {VIDEO_NEEDS_WEIGHTS}'


@pytest.mark.parametrize('content', [b'hello\n', b'PK\x03\x04broken'])
def test_malformed_features_file_is_one_readable_error(
        model, tmp_path, content):
    path = tmp_path / 'bad.npz'
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        read_file_inputs(model, str(path), shown_as='bad.npz')
    message = str(info.value)
    assert message.startswith('bad.npz: not an .npz archive')
    assert str(tmp_path) not in message and '\n' not in message


def test_corrupted_member_and_missing_input(model, tmp_path):
    path = features_file(tmp_path / 'clip.npz', 3)
    data = bytearray(open(path, 'rb').read())
    data[200:260] = bytes(60)  # inside the audio array's header
    broken = tmp_path / 'broken.npz'
    broken.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match='^broken.npz: '):
        read_file_inputs(model, str(broken), shown_as='broken.npz')
    np.savez(tmp_path / 'audio_only.npz', audio=np.zeros((3, 128)))
    with pytest.raises(InputFileError, match=r"missing \['visual'\]"):
        read_file_inputs(model, str(tmp_path / 'audio_only.npz'))


def test_undecodable_video(model, extractor, tmp_path):
    path = tmp_path / 'text.mp4'
    path.write_text('not a video')
    with pytest.raises(InputFileError) as info:
        read_file_inputs(model, str(path), extractor, shown_as='text.mp4')
    assert str(info.value).startswith(
        'text.mp4: expected a video that FFmpeg decodes')
    assert str(tmp_path) not in str(info.value)


def test_video_progress_json_figure_and_attention(model, extractor,
                                                  tmp_path):
    video = str(tmp_path / 'clip.mp4')
    write_test_video(video, [random_image(s) for s in range(12)],
                     tones=[440 + 110 * (s % 3) for s in range(12)])
    calls = []
    inputs = read_file_inputs(model, video, extractor,
                              progress=lambda *args: calls.append(args))
    result = localize_inputs(model, inputs, with_attention=True,
                             progress=lambda *args: calls.append(args))
    assert calls == [('decoding', 0, 1), ('decoding', 1, 1),
                     ('extracting features', 0, 1),
                     ('extracting features', 1, 1), ('windows', 0, 2),
                     ('windows', 2, 2)]
    written = write_result_files(result, str(tmp_path / 'out'),
                                 inputs.frames)
    assert [osp.basename(path) for path in written] == [
        'clip.json', 'clip.png', 'clip_attention.png'
    ]
    with open(written[0]) as file:
        assert json.load(file) == result.to_dict()
    assert len(result.to_dict()['segments']) == 12


def test_bad_stride_names_the_file(model, tmp_path):
    inputs = read_file_inputs(model,
                              features_file(tmp_path / 'clip.npz', 12))
    with pytest.raises(InputFileError, match='^clip.npz: stride must'):
        localize_inputs(model, inputs, stride=11, shown_as='clip.npz')
