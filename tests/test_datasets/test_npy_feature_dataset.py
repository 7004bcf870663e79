import json
import os
import os.path as osp
import tempfile
from unittest import TestCase

import numpy as np

from mmcpsp.datasets import DataValidationError, NpyFeatureDataset

ROWS = [  # video_id, category, split, start, end, t
    ('v0', 'dog', 'train', 2, 6, 8),
    ('v1', 'cat', 'train', 0, 10, 12),
    ('v2', 'dog', 'val', 1, 3, 10),
    ('v3', 'cat', 'test', 4, 9, 3),
]


def write_npy_folder(root: str, as_json: bool = False) -> None:
    """CNN14-like audio [t, 2048] and CLIP-like visual [t, 768]."""
    rng = np.random.default_rng(0)
    for kind, dim in (('audio', 2048), ('visual', 768)):
        os.makedirs(osp.join(root, kind), exist_ok=True)
        for video_id, *_, length in ROWS:
            np.save(osp.join(root, kind, f'{video_id}.npy'),
                    rng.random((length, dim), dtype=np.float32))
    fields = ('video_id', 'category', 'split', 'start', 'end')
    records = [dict(zip(fields, row[:5])) for row in ROWS]
    if as_json:
        with open(osp.join(root, 'annotations.json'), 'w') as file:
            json.dump(records, file)
    with open(osp.join(root, 'annotations.csv'), 'w') as file:
        file.write(','.join(fields) + '\n')
        for row in ROWS:
            file.write(','.join(map(str, row[:5])) + '\n')


class TestNpyFeatureDataset(TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp_dir = tempfile.TemporaryDirectory()
        write_npy_folder(cls.tmp_dir.name, as_json=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    def build(self, **kwargs):
        kwargs.setdefault('ann_file', 'annotations.csv')
        kwargs.setdefault('split', 'train')
        return NpyFeatureDataset(
            self.tmp_dir.name,
            pipeline=[dict(type='LoadNpyFeatures'),
                      dict(type='PackAVELInputs')],
            **kwargs)

    def test_labels_pad_and_truncate(self):
        dataset = self.build()
        self.assertEqual(dataset.metainfo['classes'],
                         ('dog', 'cat', 'background'))
        self.assertEqual(len(dataset), 2)
        info = dataset.get_data_info(0)
        self.assertEqual(info['segment_labels'].tolist(),
                         [2, 2, 0, 0, 0, 0, 2, 2, 2, 2])
        sample = dataset[0]
        audio = sample['inputs']['audio']
        visual = sample['inputs']['visual']
        self.assertEqual(tuple(audio.shape), (10, 2048))
        self.assertEqual(tuple(visual.shape), (10, 1, 1, 768))
        raw = np.load(osp.join(self.tmp_dir.name, 'audio', 'v0.npy'))
        # t = 8: the last segment is repeated.
        np.testing.assert_array_equal(audio[8].numpy(), raw[7])
        np.testing.assert_array_equal(audio[9].numpy(), raw[7])
        self.assertEqual(tuple(dataset[1]['inputs']['audio'].shape),
                         (10, 2048))  # t = 12: truncated

    def test_json_and_weak_labels(self):
        dataset = self.build(ann_file='annotations.json',
                             supervision='weakly')
        self.assertEqual([dataset.get_data_info(i)['video_label']
                          for i in range(2)], [0, 1])
        self.assertEqual(len(self.build(ann_file='annotations.json',
                                        split='test')), 1)

    def test_missing_file(self):
        root = osp.join(self.tmp_dir.name, 'missing')
        write_npy_folder(root)
        os.remove(osp.join(root, 'visual', 'v2.npy'))
        with self.assertRaisesRegex(DataValidationError,
                                    r"1 missing, e.g. \['v2'\]"):
            NpyFeatureDataset(root, 'annotations.csv', 'val')
