"""A trained checkpoint alone localizes events in features and videos."""
import numpy as np

from mmcpsp.apis import (
    AVFeatureExtractor,
    inference_localizer,
    init_localizer,
    load_feature_inputs,
)
from mmcpsp.datasets import AVEDataset
from mmcpsp.testing import random_image, write_test_video
from mmcpsp.testing.localization import assert_consistent_result
from mmcpsp.testing.weights import write_random_vgg19, write_random_vggish


def test_checkpoint_alone_localizes_features_and_videos(
        trained_checkpoint, tiny_ave_root, tmp_path):
    model = init_localizer(None, trained_checkpoint)
    threshold = model.head.event_threshold
    dataset = AVEDataset(data_root=tiny_ave_root, split='test')
    assert model.dataset_meta['classes'] == dataset.metainfo['classes']

    # One AVE video, by id: ten seconds with their annotated labels.
    info = dataset.get_data_info(0)
    result = inference_localizer(
        model, dict(data_root=tiny_ave_root, video_id=info['video_id']))
    np.testing.assert_array_equal(result.gt_segment_labels,
                                  info['segment_labels'])
    assert_consistent_result(result, threshold)

    # 25 seconds stitched from three videos, overlapping windows.
    features = [
        load_feature_inputs(
            dict(data_root=tiny_ave_root,
                 video_id=dataset.get_data_info(index)['video_id']))
        for index in range(3)
    ]
    audio = np.concatenate([f.audio for f in features])[:25]
    visual = np.concatenate([f.visual for f in features])[:25]
    result = inference_localizer(model, (audio, visual), stride=5)
    assert result.num_segments == 25
    assert_consistent_result(result, threshold)
    assert set(result.segment_names) <= set(dataset.metainfo['classes'])

    # A generated 7-second video through VGGish and VGG-19.
    write_random_vggish(str(tmp_path / 'vggish.pth'))
    write_random_vgg19(str(tmp_path / 'vgg19.pth'))
    extractor = AVFeatureExtractor(str(tmp_path / 'vggish.pth'),
                                   str(tmp_path / 'vgg19.pth'),
                                   frames_per_segment=1)
    video = str(tmp_path / 'generated.mp4')
    write_test_video(video, [random_image(s) for s in range(7)],
                     tones=[440] * 3 + [0] * 4)
    result = inference_localizer(model, video, extractor=extractor)
    assert result.num_segments == 7
    assert_consistent_result(result, threshold)
