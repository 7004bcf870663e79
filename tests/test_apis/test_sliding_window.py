import warnings
from unittest import TestCase

import numpy as np
import torch

from mmcpsp.apis import init_localizer, predict_sliding_windows, window_starts
from mmcpsp.apis.sliding_window import has_attention_maps
from mmcpsp.structures import PRED_CATEGORY_SCORES, PRED_EVENT_SCORES

CONFIG = 'configs/cpsp_fully_ave.py'


def random_features(num_segments: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.random((num_segments, 128), np.float32),
            rng.random((num_segments, 7, 7, 512), np.float32))


class TestWindowStarts(TestCase):

    def test_starts(self):
        self.assertEqual(window_starts(25, 10, 10), [0, 10, 20])
        self.assertEqual(window_starts(20, 10, 10), [0, 10])
        self.assertEqual(window_starts(21, 10, 10), [0, 10, 20])
        self.assertEqual(window_starts(7, 10, 10), [0])
        self.assertEqual(window_starts(10, 10, 10), [0])
        self.assertEqual(window_starts(25, 10, 5), [0, 5, 10, 15])
        self.assertEqual(window_starts(3, 10, 1), [0])

    def test_rejects_gaps_and_empty_inputs(self):
        with self.assertRaisesRegex(ValueError, 'stride'):
            window_starts(25, 10, 11)
        with self.assertRaisesRegex(ValueError, 'stride'):
            window_starts(25, 10, 0)
        with self.assertRaisesRegex(ValueError, 'no segment'):
            window_starts(0, 10, 10)


class TestPredictSlidingWindows(TestCase):

    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # no class names: generic ones
            cls.model = init_localizer(CONFIG)

    def _window_scores(self, audio, visual):
        """Event [T] and category [C] scores of one padded window."""
        sample = self.model.test_step(
            dict(inputs=dict(audio=torch.from_numpy(audio[None]),
                             visual=torch.from_numpy(visual[None]))))[0]
        return (sample.get(PRED_EVENT_SCORES).numpy(),
                sample.get(PRED_CATEGORY_SCORES).numpy())

    def test_one_window_is_the_model_prediction(self):
        audio, visual = random_features(10)
        scores = predict_sliding_windows(self.model,
                                         dict(audio=audio, visual=visual))
        events, categories = self._window_scores(audio, visual)
        np.testing.assert_allclose(scores['event_scores'], events, rtol=1e-6)
        np.testing.assert_allclose(scores['category_scores'],
                                   np.tile(categories, (10, 1)), rtol=1e-6)

    def test_short_input_is_zero_padded(self):
        audio, visual = random_features(7)
        scores = predict_sliding_windows(self.model,
                                         dict(audio=audio, visual=visual))
        padded_audio = np.zeros((10, 128), np.float32)
        padded_visual = np.zeros((10, 7, 7, 512), np.float32)
        padded_audio[:7], padded_visual[:7] = audio, visual
        events, _ = self._window_scores(padded_audio, padded_visual)
        self.assertEqual(scores['event_scores'].shape, (7, ))
        np.testing.assert_allclose(scores['event_scores'], events[:7],
                                   rtol=1e-6)

    def test_overlapping_windows_are_averaged(self):
        audio, visual = random_features(15, seed=1)
        scores = predict_sliding_windows(
            self.model, dict(audio=audio, visual=visual), stride=5,
            batch_size=1)
        first, first_cat = self._window_scores(audio[:10], visual[:10])
        second, second_cat = self._window_scores(audio[5:], visual[5:])
        expected = np.concatenate(
            [first[:5], (first[5:] + second[:5]) / 2, second[5:]])
        np.testing.assert_allclose(scores['event_scores'], expected,
                                   rtol=1e-6)
        np.testing.assert_allclose(scores['category_scores'][7],
                                   (first_cat + second_cat) / 2, rtol=1e-6)
        np.testing.assert_allclose(scores['category_scores'][12], second_cat,
                                   rtol=1e-6)

    def test_batching_does_not_change_scores(self):
        audio, visual = random_features(16, seed=2)
        one = predict_sliding_windows(
            self.model, dict(audio=audio, visual=visual), stride=3,
            batch_size=1)
        many = predict_sliding_windows(
            self.model, dict(audio=audio, visual=visual), stride=3,
            batch_size=16)
        for name in ('event_scores', 'category_scores'):
            np.testing.assert_allclose(one[name], many[name], rtol=1e-5)

    def test_attention_maps(self):
        audio, visual = random_features(12, seed=3)
        scores = predict_sliding_windows(
            self.model, dict(audio=audio, visual=visual), with_attention=True)
        attention = scores['attention']
        self.assertEqual(attention.shape, (12, 49))
        np.testing.assert_allclose(attention.sum(axis=1), 1, rtol=1e-5)
        backbone = self.model.backbone
        with torch.no_grad():
            embeds = backbone.audio_embedding(torch.from_numpy(audio[:10]))
            expected = backbone.attention.region_weights(
                embeds, torch.from_numpy(visual[:10]).reshape(10, 49, 512))
        np.testing.assert_allclose(attention[:10], expected.numpy(),
                                   rtol=1e-5)
        self.assertNotIn('attention', predict_sliding_windows(
            self.model, dict(audio=audio, visual=visual)))

    def test_progress_counts_windows(self):
        audio, visual = random_features(25)
        calls = []
        predict_sliding_windows(
            self.model, dict(audio=audio, visual=visual), stride=5,
            batch_size=3,
            progress=lambda *args: calls.append(args))
        self.assertEqual(calls, [('windows', 0, 4), ('windows', 3, 4),
                                 ('windows', 4, 4)])
        self.assertTrue(has_attention_maps(self.model))

    def test_rejects_mismatched_lengths(self):
        audio, _ = random_features(5)
        _, visual = random_features(6)
        with self.assertRaisesRegex(ValueError, 'segments'):
            predict_sliding_windows(self.model,
                                    dict(audio=audio, visual=visual))
