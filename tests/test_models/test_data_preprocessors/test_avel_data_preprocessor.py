from unittest import TestCase

import torch
from mmaction.structures import ActionDataSample

from mmcpsp.registry import MODELS


class TestAVELDataPreprocessor(TestCase):

    def test_stacks_lists_and_casts_to_the_model_dtype(self):
        preprocessor = MODELS.build(dict(type='AVELDataPreprocessor'))
        samples = [ActionDataSample(), ActionDataSample()]
        data = dict(
            inputs=dict(
                audio=[torch.randn(10, 128, dtype=torch.float64)] * 2,
                visual=[torch.rand(10, 2, 2, 8)] * 2),
            data_samples=samples)
        batch = preprocessor(data)
        self.assertEqual(batch['inputs']['audio'].shape, (2, 10, 128))
        self.assertEqual(batch['inputs']['visual'].shape, (2, 10, 2, 2, 8))
        self.assertEqual(batch['inputs']['audio'].dtype, torch.float32)
        self.assertEqual(batch['inputs']['visual'].dtype, torch.float32)
        self.assertEqual(len(batch['data_samples']), 2)

        preprocessor.double()
        batch = preprocessor(data)
        self.assertEqual(batch['inputs']['audio'].dtype, torch.float64)
        self.assertEqual(batch['inputs']['visual'].dtype, torch.float64)
        preprocessor.to(torch.float32)
        self.assertEqual(
            preprocessor(data)['inputs']['audio'].dtype, torch.float32)

    def test_stacked_and_integer_inputs(self):
        preprocessor = MODELS.build(dict(type='AVELDataPreprocessor')).double()
        audio = torch.randn(3, 10, 128)
        mask = torch.ones(3, 10, dtype=torch.long)
        batch = preprocessor(dict(inputs=dict(audio=audio, mask=mask)))
        torch.testing.assert_close(batch['inputs']['audio'], audio.double())
        self.assertEqual(batch['inputs']['mask'].dtype, torch.long)
        self.assertIsNone(batch['data_samples'])

    def test_dtype_buffer_is_not_saved(self):
        preprocessor = MODELS.build(dict(type='AVELDataPreprocessor'))
        self.assertEqual(dict(preprocessor.state_dict()), {})
