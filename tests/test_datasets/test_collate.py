from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample
from mmengine.registry import FUNCTIONS as ROOT_FUNCTIONS

from mmcpsp.datasets.transforms import PackAVELInputs
from mmcpsp.registry import FUNCTIONS, MODELS
from mmcpsp.structures import BATCH_LABELS, GT_SEGMENT_LABELS, GT_VIDEO_LABEL


def packed(index: int, video_label: bool = False) -> dict:
    results = dict(
        audio=torch.full((10, 128), float(index)).numpy(),
        visual=torch.full((10, 7, 7, 512), float(index)).numpy(),
        segment_labels=torch.arange(10) + index,
        sample_idx=index)
    if video_label:
        results['video_label'] = index
    return PackAVELInputs().transform(results)


class TestAVELCollate(TestCase):

    def test_registered_where_the_runner_looks(self):
        self.assertIs(ROOT_FUNCTIONS.get('avel_collate'),
                      FUNCTIONS.get('avel_collate'))

    def test_stacks_features_and_labels(self):
        collate = FUNCTIONS.get('avel_collate')
        batch = collate([packed(i, video_label=True) for i in range(3)])
        self.assertEqual(batch['inputs']['audio'].shape, (3, 10, 128))
        self.assertEqual(batch['inputs']['visual'].shape, (3, 10, 7, 7, 512))
        labels = batch[BATCH_LABELS]
        self.assertTrue(
            torch.equal(labels[GT_SEGMENT_LABELS],
                        torch.arange(10) + torch.arange(3)[:, None]))
        self.assertTrue(torch.equal(labels[GT_VIDEO_LABEL], torch.arange(3)))
        for sample in batch['data_samples']:
            self.assertNotIn(GT_SEGMENT_LABELS, sample)
            self.assertNotIn(GT_VIDEO_LABEL, sample)

    def test_preprocessor_restores_the_samples(self):
        collate = FUNCTIONS.get('avel_collate')
        batch = collate([packed(i) for i in range(2)])
        self.assertNotIn(GT_VIDEO_LABEL, batch[BATCH_LABELS])
        preprocessor = MODELS.build(dict(type='AVELDataPreprocessor'))
        data = preprocessor(batch)
        self.assertEqual(set(data), {'inputs', 'data_samples'})
        for index, sample in enumerate(data['data_samples']):
            self.assertIsInstance(sample, ActionDataSample)
            self.assertTrue(
                torch.equal(sample.gt_segment_labels,
                            torch.arange(10) + index))
            self.assertEqual(sample.sample_idx, index)

    def test_labels_own_their_memory(self):
        """A prediction must never hold (or pickle) a batch's storage."""
        collate = FUNCTIONS.get('avel_collate')
        batch = collate([packed(i) for i in range(4)])
        data = MODELS.build(dict(type='AVELDataPreprocessor'))(batch)
        for sample in data['data_samples']:
            labels = sample.gt_segment_labels
            self.assertEqual(labels.untyped_storage().nbytes(),
                             labels.numel() * labels.element_size())

    def test_passes_a_gathered_batch_on(self):
        from mmcpsp.datasets.preload import PreloadedBatch
        batch = PreloadedBatch(inputs={}, data_samples=[])
        self.assertIs(FUNCTIONS.get('avel_collate')(batch), batch)
        with self.assertRaisesRegex(TypeError, 'avel_collate'):
            batch[0]
