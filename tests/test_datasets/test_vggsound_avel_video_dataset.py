import os
import os.path as osp
import tempfile
from unittest import TestCase

import numpy as np
from mmengine.registry import init_default_scope

from mmcpsp.datasets import (
    DataValidationError,
    VGGSoundAVELDataset,
    VGGSoundAVELVideoDataset,
)
from mmcpsp.datasets.constants import SPLITS, SUPERVISIONS
from mmcpsp.testing import (
    generate_synthetic_vggsound_avel,
    solid_image,
    write_test_video,
)


def _labels(dataset, index: int):
    labels = dataset.pipeline(dataset.get_data_info(index)).get(
        'segment_labels')
    return None if labels is None else labels.tolist()


class TestVGGSoundAVELVideoDataset(TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        cls.root = cls.tmp_dir.name
        cls.synthetic = generate_synthetic_vggsound_avel(
            cls.root, num_videos=20, layout='both', num_classes=5)
        os.makedirs(osp.join(cls.root, 'videos'))
        for video_id in cls.synthetic.video_ids:
            write_test_video(osp.join(cls.root, 'videos', f'{video_id}.mp4'),
                             [solid_image((9, 9, 9), (16, 16))] * 10, fps=1)

    def setUp(self):
        init_default_scope('mmcpsp')

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def test_same_videos_labels_and_splits_as_the_feature_dataset(self):
        for layout in ('zip', 'hdf5'):
            for split in SPLITS:
                for supervision in SUPERVISIONS:
                    common = dict(split=split, supervision=supervision,
                                  layout=layout, num_classes=5)
                    features = VGGSoundAVELDataset(
                        self.root,
                        pipeline=[dict(type='LoadVGGSoundAVELFeatures')],
                        **common)
                    videos = VGGSoundAVELVideoDataset(
                        self.root,
                        pipeline=[dict(type='LoadVGGSoundAVELLabels')],
                        **common)
                    self.assertEqual(len(videos), len(features))
                    self.assertEqual(videos.metainfo, features.metainfo)
                    for index in range(len(videos)):
                        info = videos.get_data_info(index)
                        expected = features.get_data_info(index)
                        for key in ('video_id', 'video_label', 'hdf5_row'):
                            self.assertEqual(info[key], expected[key])
                        self.assertEqual(
                            info['filename'],
                            osp.join(self.root, 'videos',
                                     f'{info["video_id"]}.mp4'))
                        self.assertEqual(_labels(videos, index),
                                         _labels(features, index))
        fully_test = VGGSoundAVELVideoDataset(
            self.root, 'test', pipeline=[dict(type='LoadVGGSoundAVELLabels')],
            num_classes=5)
        labels = np.asarray(_labels(fully_test, 0))
        self.assertEqual(labels.shape, (10, ))

    def test_missing_video(self):
        dataset = VGGSoundAVELVideoDataset(self.root, 'val', num_classes=5)
        video_id = dataset.get_data_info(0)['video_id']
        path = osp.join(self.root, 'videos', f'{video_id}.mp4')
        os.rename(path, path + '.away')
        try:
            with self.assertRaisesRegex(DataValidationError,
                                        f"1 missing, e.g. \\['{video_id}'"):
                VGGSoundAVELVideoDataset(self.root, 'val', num_classes=5)
        finally:
            os.rename(path + '.away', path)
