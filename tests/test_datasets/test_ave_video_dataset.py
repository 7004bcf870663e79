import os
import os.path as osp
import shutil
import tempfile
from unittest import TestCase

import h5py
import numpy as np

from mmcpsp.datasets import AVEDataset, AVEVideoDataset, DataValidationError
from mmcpsp.datasets.ave import AVE_CATEGORIES
from mmcpsp.datasets.constants import SPLITS, SUPERVISIONS
from mmcpsp.testing import write_ave_videos

#: Categories 2, 5 and 9 of AVE: class indices must stay canonical.
CATEGORIES = [AVE_CATEGORIES[index] for index in (2, 5, 9)]


def _items(dataset) -> list:
    keys = ('video_id', 'row', 'video_label')
    items = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        item = {key: info.get(key) for key in keys}
        if 'segment_labels' in info:
            item['segment_labels'] = info['segment_labels'].tolist()
        items.append(item)
    return items


class TestAVEVideoDataset(TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        cls.root = cls.tmp_dir.name
        write_ave_videos(cls.root, CATEGORIES, num_videos=5, fps=2,
                         size=(16, 16))
        # Feature files (values unused) so that AVEDataset loads the same
        # folder; mil_labels.h5 for its weakly supervised training split.
        with h5py.File(osp.join(cls.root, 'audio_feature.h5'), 'w') as f:
            f.create_dataset('avadataset', (5, 10, 128), np.float32)
        with h5py.File(osp.join(cls.root, 'visual_feature.h5'), 'w') as f:
            f.create_dataset('avadataset', (5, 10, 7, 7, 512), np.float32)
        with open(osp.join(cls.root, 'Annotations.txt')) as file:
            classes = [AVE_CATEGORIES.index(line.split('&')[0])
                       for line in file.read().splitlines()]
        with h5py.File(osp.join(cls.root, 'mil_labels.h5'), 'w') as f:
            f.create_dataset('avadataset',
                             data=np.eye(29, dtype=np.float32)[classes])

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def test_same_labels_and_splits_as_the_feature_dataset(self):
        for split in SPLITS:
            for supervision in SUPERVISIONS:
                features = AVEDataset(self.root, split, supervision)
                for source in ('txt', 'order'):
                    videos = AVEVideoDataset(
                        self.root, split, supervision, split_source=source)
                    self.assertEqual(_items(videos), _items(features),
                                     (split, supervision, source))
                    self.assertEqual(videos.metainfo, features.metainfo)
        info = AVEVideoDataset(self.root, 'train').get_data_info(0)
        self.assertEqual(info['filename'],
                         osp.join(self.root, 'AVE', f'{info["video_id"]}.mp4'))
        self.assertEqual(info['num_classes'], 28)

    def test_missing_video(self):
        root = osp.join(self.tmp_dir.name, 'missing')
        shutil.copytree(self.root, root)
        dataset = AVEVideoDataset(root, 'test')
        video_id = dataset.get_data_info(0)['video_id']
        os.remove(osp.join(root, 'AVE', f'{video_id}.mp4'))
        with self.assertRaisesRegex(
                DataValidationError,
                f"{root}/AVE: expected a video file <VideoID>.mp4 .* found 1 "
                rf"missing, e.g. \['{video_id}'\]"):
            AVEVideoDataset(root, 'test')

    def test_split_line_not_in_annotations(self):
        root = osp.join(self.tmp_dir.name, 'bad_split')
        shutil.copytree(self.root, root)
        with open(osp.join(root, 'valSet.txt'), 'a') as file:
            file.write(f'{CATEGORIES[0]}&notAVideoId&good&0&10\n')
        with self.assertRaisesRegex(
                DataValidationError,
                'valSet.txt, row 1 \\(line 3\\): expected a line of '):
            AVEVideoDataset(root, 'val')
        # The order files still give the split.
        self.assertEqual(len(AVEVideoDataset(root, 'val',
                                             split_source='order')), 1)

    def test_decoding_pipeline(self):
        dataset = AVEVideoDataset(
            self.root, 'train',
            pipeline=[
                dict(type='DecodeAVSegments', frames_per_segment=2,
                     frame_size=(32, 32)),
                dict(type='StackSegmentFrames'),
                dict(type='VGGishLogMel'),
                dict(type='PackAVELInputs'),
            ])
        sample = dataset[0]
        self.assertEqual(sample['inputs']['visual'].shape,
                         (10, 2, 32, 32, 3))
        self.assertEqual(sample['inputs']['audio'].shape, (10, 96, 64))
        self.assertEqual(
            sample['data_samples'].gt_segment_labels.tolist(),
            dataset.get_data_info(0)['segment_labels'].tolist())
