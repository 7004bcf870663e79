import importlib.util
import os.path as osp
import pickle
import tempfile
import unittest
from unittest import TestCase

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from mmcpsp.datasets.llp import (
    audio_release,
    parse_dense_annotations,
    parse_weak_labels,
)
from mmcpsp.datasets.llp.audio_release import FIXED
from mmcpsp.registry import METRICS

_spec = importlib.util.spec_from_file_location(
    'reference_avvp_metric',
    osp.join(osp.dirname(__file__), 'reference_avvp_metric.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)
T, C, LEVELS, NAMES, KEYS = ref.T, ref.C, ref.LEVELS, ref.NAMES, ref.KEYS


# ---------------------------------------------------------------------------
# Data.
# ---------------------------------------------------------------------------
def random_videos(seed, num_videos):
    """Videos with few classes each, runs of every length, probabilities
    exactly at the threshold, and some videos with no GT or no prediction.
    """
    rng = np.random.default_rng(seed)
    videos = []
    for index in range(num_videos):

        def classes(share):
            return rng.random(C) < share

        def rows(share, active):
            # Segments of a class, widened to runs by their neighbours.
            on = rng.random((T, C)) < share
            on = on | (np.roll(on, 1, 0) & (rng.random((T, C)) < 0.5))
            return on & active

        def probabilities(on):
            high = rng.choice([0.5, 0.7, 0.99], size=(T, C))
            low = rng.choice([0.0, 0.3, 0.4999], size=(T, C))
            return np.where(on, high, low)

        predicted = classes(0.25)
        annotated = classes(0.15)
        video = dict(
            pred_audio=probabilities(rows(0.35, predicted)),
            pred_visual=probabilities(rows(0.35, predicted)),
            pred_global=rng.choice([0.2, 0.5, 0.8], size=C),
            pred_audio_global=rng.choice([0.4999, 0.5, 0.9], size=C),
            pred_visual_global=rng.choice([0.1, 0.5, 0.6], size=C),
            gt_audio_labels=rows(0.4, annotated).astype(np.float32),
            gt_visual_labels=rows(0.4, annotated & classes(0.7)).astype(
                np.float32))
        if index % 7 == 0:
            video['gt_audio_labels'][:] = 0
            video['gt_visual_labels'][:] = 0
        if index % 5 == 0:
            video['pred_audio'] = video['pred_audio'] * 0.2
            video['pred_visual'] = video['pred_visual'] * 0.2
        videos.append(video)
    return videos


def hand_video(audio=(), visual=(), gt_audio=(), gt_visual=(),
               audio_global=None, visual_global=None):
    """A video from (class, segments) pairs: 0.9 on those segments, 0.1
    elsewhere; video scores 0.9 on the predicted classes unless given."""

    def segment_array(pairs, on, off):
        array = np.full((T, C), off)
        for class_index, segments in pairs:
            array[list(segments), class_index] = on
        return array

    def video_scores(pairs, given):
        scores = np.full(C, 0.1)
        scores[[class_index for class_index, _ in pairs]] = 0.9
        for class_index, value in (given or {}).items():
            scores[class_index] = value
        return scores

    return dict(
        pred_audio=segment_array(audio, 0.9, 0.1),
        pred_visual=segment_array(visual, 0.9, 0.1),
        pred_global=np.full(C, 0.9),
        pred_audio_global=video_scores(audio, audio_global),
        pred_visual_global=video_scores(visual, visual_global),
        gt_audio_labels=segment_array(gt_audio, 1., 0.),
        gt_visual_labels=segment_array(gt_visual, 1., 0.))


def as_torch(videos, dtype=torch.float32):
    return [{key: torch.as_tensor(value, dtype=dtype)
             for key, value in video.items()} for video in videos]


def evaluate(videos, batch_size=4, **cfg):
    metric = METRICS.build(dict(type='AVVPMetric', **cfg))
    for start in range(0, len(videos), batch_size):
        metric.process(None, videos[start:start + batch_size])
    return metric.evaluate(size=len(videos))


def unprefixed(results):
    return {key[len('avvp/'):]: value for key, value in results.items()}


class TestAVVPMetric(TestCase):

    def assertMetricsAlmostEqual(self, found, expected, places=9):
        self.assertEqual(set(found), set(expected))
        for key in expected:
            self.assertAlmostEqual(found[key], expected[key], places=places,
                                   msg=key)

    def test_matches_the_reference_on_random_videos(self):
        for seed in range(3):
            videos = random_videos(seed, 120)
            for filter_by in ('modality', 'global'):
                found = unprefixed(
                    evaluate(as_torch(videos, torch.float64),
                             batch_size=7, filter_by=filter_by))
                self.assertMetricsAlmostEqual(
                    found, ref.metrics(videos, filter_by))
        # The two conventions binarise differently on these videos.
        self.assertNotAlmostEqual(
            unprefixed(evaluate(videos, filter_by='modality'))
            ['segment_audio'],
            unprefixed(evaluate(videos, filter_by='global'))
            ['segment_audio'])

    def test_segment_and_event_level_by_hand(self):
        videos = [
            hand_video(
                # Speech (0): audio predicted 2-6, annotated 0-4.
                # Dog (3): audio 0-9, filtered out by g_a = 0.4.
                audio=[(0, range(2, 7)), (3, range(10))],
                audio_global={3: 0.4},
                # Speech seen on all segments, g_v exactly 0.5 (kept).
                visual=[(0, range(10))],
                visual_global={0: 0.5},
                # Car (1): heard at segment 9 only, never predicted.
                gt_audio=[(0, range(0, 5)), (1, [9])],
                gt_visual=[(0, range(10))]),
            hand_video(),  # nothing predicted, nothing annotated: all 1.0
        ]
        found = unprefixed(evaluate(videos))
        # Segment level, video 1:
        #   audio: Speech TP 3 (2-4), FP 2 (5, 6), FN 2 (0, 1): F = 6 / 10;
        #          Car TP 0, FP 0, FN 1: F = 0; Dog: nothing -> skipped.
        #          (0.6 + 0) / 2 = 0.3
        #   visual: Speech 10 / 10 -> 1.0
        #   AV: A*V = Speech 2-6 vs GT_a*GT_v = Speech 0-4 -> 0.6
        #   Event@AV: Speech TP 13, FP 2, FN 2 -> 26 / 30; Car FN 1 -> 0;
        #          (26 / 30 + 0) / 2 = 13 / 30
        # Video 2 scores 1.0 everywhere.
        expected = dict(
            segment_audio=100 * (0.3 + 1) / 2,  # 65
            segment_visual=100.,
            segment_audio_visual=100 * (0.6 + 1) / 2,  # 80
            segment_type=(65 + 100 + 80) / 3,
            segment_event=100 * (13 / 30 + 1) / 2,
            # Event level, video 1:
            #   audio: Speech run 2-6 vs 0-4: overlap 3 < 0.5 * union 7:
            #          FP 1, FN 1 -> F 0; Car FN 1 -> F 0. Score 0.
            #   visual: Speech 0-9 vs 0-9: TP -> 1.0
            #   AV: Speech 2-6 vs 0-4 -> 0
            #   Event@AV: Speech TP 1, FP 1, FN 1 -> 2 / 4; Car 0 -> 0.25
            event_audio=100 * (0 + 1) / 2,
            event_visual=100.,
            event_audio_visual=100 * (0 + 1) / 2,
            event_type=(50 + 100 + 50) / 3,
            event_event=100 * (0.25 + 1) / 2)
        self.assertMetricsAlmostEqual(found, expected, places=12)

    def test_event_overlap_at_one_half_and_adjacent_runs(self):
        video = hand_video(
            audio=[
                (0, [0, 1]),  # vs GT 0-3: overlap 2 = 0.5 * union 4: TP
                (1, [0, 1, 3, 4]),  # two runs vs GT 0-4: both below half
                (2, [0, 1, 2]),  # vs GT 0-5 (two touching rows): 3 = 6 / 2
                (3, [0, 1, 8, 9]),  # runs 0-1 (FP) and 8-9 (TP) vs GT 8-9
            ],
            gt_audio=[(0, range(0, 4)), (1, range(0, 5)),
                      (2, range(0, 3)), (2, range(3, 6)), (3, [8, 9])])
        found = unprefixed(evaluate([video]))
        # Event level (visual and AV empty on both sides: 1.0):
        #   Speech TP 1 -> 1; Car FP 2, FN 1 -> 0; Cheering TP 1 -> 1;
        #   Dog TP 1, FP 1 -> 2 / 3.  Audio = (1 + 0 + 1 + 2/3) / 4 = 2 / 3
        # Segment level:
        #   Speech TP 2, FN 2 -> 4/6; Car TP 4, FN 1 -> 8/9;
        #   Cheering TP 3, FN 3 -> 6/9; Dog TP 2, FP 2 -> 4/6.
        #   Audio = (6/9 + 8/9 + 6/9 + 6/9) / 4 = 13 / 18
        # Event@AV pools the (empty) visual counts: equal to audio.
        expected = dict(
            segment_audio=100 * 13 / 18,
            segment_visual=100.,
            segment_audio_visual=100.,
            segment_type=(100 * 13 / 18 + 200) / 3,
            segment_event=100 * 13 / 18,
            event_audio=100 * 2 / 3,
            event_visual=100.,
            event_audio_visual=100.,
            event_type=(100 * 2 / 3 + 200) / 3,
            event_event=100 * 2 / 3)
        self.assertMetricsAlmostEqual(found, expected, places=12)

    def test_only_predicted_and_only_annotated_classes(self):
        # Audio: Speech only predicted, Car only annotated: both F = 0.
        # Visual: nothing anywhere -> 1.0; AV: nothing anywhere -> 1.0.
        video = hand_video(audio=[(0, range(3))], gt_audio=[(1, range(3))])
        found = unprefixed(evaluate([video]))
        for level in LEVELS:
            self.assertEqual(found[f'{level}_audio'], 0.)
            self.assertEqual(found[f'{level}_visual'], 100.)
            self.assertEqual(found[f'{level}_audio_visual'], 100.)
            self.assertAlmostEqual(found[f'{level}_type'], 200 / 3)
            self.assertEqual(found[f'{level}_event'], 0.)
        self.assertEqual(unprefixed(evaluate([hand_video()])),
                         dict.fromkeys(KEYS, 100.))

    def test_writes_back_the_scored_labels(self):
        videos = random_videos(3, 20)
        for filter_by in ('modality', 'global'):
            for samples in (as_torch(videos), [dict(v) for v in videos]):
                metric = METRICS.build(
                    dict(type='AVVPMetric', filter_by=filter_by))
                metric.process(None, samples)
                for sample, video in zip(samples, videos):
                    audio, visual = ref.binarise(video, filter_by)
                    for key, expected in (('pred_audio_labels', audio),
                                          ('pred_visual_labels', visual)):
                        labels = sample[key]
                        self.assertIs(type(labels),
                                      type(sample['pred_audio']))
                        np.testing.assert_array_equal(
                            np.asarray(labels), np.asarray(expected))
                        self.assertEqual(np.asarray(labels).dtype, np.int64)

    def test_through_the_evaluator_with_the_dump(self):
        videos = random_videos(4, 12)
        with tempfile.TemporaryDirectory() as tmp_dir:
            dump_file = osp.join(tmp_dir, 'dump.pkl')
            with DefaultScope.overwrite_default_scope('mmcpsp'):
                evaluator = Evaluator([
                    dict(type='AVVPMetric', filter_by='global'),
                    dict(type='AtomicDumpResults', out_file_path=dump_file)
                ])
            for start in range(0, len(videos), 5):
                evaluator.process(
                    data_samples=as_torch(videos[start:start + 5]),
                    data_batch=None)
            results = evaluator.evaluate(size=len(videos))
            with open(dump_file, 'rb') as file:
                dumped = pickle.load(file)
        self.assertEqual(set(results), {f'avvp/{key}' for key in KEYS})
        self.assertMetricsAlmostEqual(
            unprefixed(results), ref.metrics(videos, 'global'))
        # The dump holds the labels that were scored (filter_by 'global').
        for sample, video in zip(dumped, videos):
            audio, visual = ref.binarise(video, 'global')
            np.testing.assert_array_equal(sample['pred_audio_labels'],
                                          audio)
            np.testing.assert_array_equal(sample['pred_visual_labels'],
                                          visual)

    def test_torch_and_numpy_inputs_agree(self):
        videos = random_videos(5, 40)
        from_numpy = evaluate(videos)
        for dtype in (torch.float32, torch.float64):
            self.assertEqual(evaluate(as_torch(videos, dtype)), from_numpy)
        # bfloat16 (numpy has none) rounds 0.4999 to 0.5: compare with the
        # same values in float32.
        rounded = [{
            key: value.float().numpy()
            for key, value in video.items()
        } for video in as_torch(videos, torch.bfloat16)]
        self.assertEqual(evaluate(as_torch(videos, torch.bfloat16)),
                         evaluate(rounded))
        self.assertNotEqual(evaluate(rounded), from_numpy)

    @unittest.skipUnless(torch.cuda.is_available(), 'needs a CUDA device')
    def test_cuda_inputs(self):
        videos = random_videos(8, 40)
        samples = [{key: value.cuda() for key, value in video.items()}
                   for video in as_torch(videos)]
        self.assertEqual(evaluate(samples), evaluate(videos))
        for sample in samples:
            self.assertTrue(sample['pred_audio_labels'].is_cuda)
            self.assertTrue(sample['pred_visual_labels'].is_cuda)

    def test_results_are_small_and_gather_in_any_order(self):
        videos = random_videos(6, 30)
        metric = METRICS.build(dict(type='AVVPMetric'))
        metric.process(None, videos)
        self.assertEqual(len(metric.results), len(videos))
        # TP, FP, FN per level, modality and class, one byte each.
        self.assertEqual(metric.results[0].shape, (2, 3, 3, C))
        self.assertEqual(metric.results[0].nbytes, 2 * 3 * 3 * C)
        # Two ranks' results arrive concatenated or interleaved.
        in_order = metric.compute_metrics(metric.results)
        shuffled = [metric.results[i] for i in np.random.default_rng(0)
                    .permutation(len(videos))]
        self.assertMetricsAlmostEqual(metric.compute_metrics(shuffled),
                                      in_order, places=12)

    def test_bad_arguments_and_inputs(self):
        with self.assertRaisesRegex(ValueError, 'filter_by'):
            METRICS.build(dict(type='AVVPMetric', filter_by='audio'))
        metric = METRICS.build(dict(type='AVVPMetric'))
        video = random_videos(7, 1)[0]
        del video['pred_visual_global']
        with self.assertRaisesRegex(KeyError, 'pred_visual_global'):
            metric.process(None, [video])
        video = random_videos(7, 1)[0]
        del video['gt_visual_labels']
        with self.assertRaisesRegex(KeyError, 'gt_visual_labels'):
            metric.process(None, [video])
        video = random_videos(7, 1)[0]
        video['gt_audio_labels'] = video['gt_audio_labels'].T
        with self.assertRaisesRegex(ValueError, 'gt_audio_labels'):
            metric.process(None, [video])
        video = random_videos(7, 1)[0]
        video['gt_audio_labels'][0, 0] = 0.5
        with self.assertRaisesRegex(ValueError, '0 and 1'):
            metric.process(None, [video])


# ---------------------------------------------------------------------------
# The real LLP test split (avvp.md section 11).
# ---------------------------------------------------------------------------
#: Section 11, to the printed precision: segment level of the two
#: predictors, and the oracle's event-level Type@AV.
SECTION_11 = dict(
    nothing=dict(segment_audio=0.50, segment_visual=10.08,
                 segment_audio_visual=14.50, segment_type=8.36,
                 segment_event=0.00),
    oracle=dict(segment_audio=76.12, segment_visual=60.35,
                segment_audio_visual=52.61, segment_type=63.03,
                segment_event=71.73, event_type=54.49))


@pytest.fixture(scope='module')
def llp_test_split(llp_meta_dir):
    """Weak labels [N, C] and dense GT [N, T, C] of the 1,200 test videos,
    from the fixed audio file of HAN (section 11 was computed with it)."""
    weak = parse_weak_labels(osp.join(llp_meta_dir, 'AVVP_test_pd.csv'))
    audio = parse_dense_annotations(
        osp.join(llp_meta_dir, 'AVVP_eval_audio.csv'))
    assert audio_release(audio) == FIXED, 'section 11 uses the fixed file'
    visual = parse_dense_annotations(
        osp.join(llp_meta_dir, 'AVVP_eval_visual.csv'))
    return (weak.labels(), audio.ground_truth(weak.filenames),
            visual.ground_truth(weak.filenames))


@pytest.mark.parametrize('filter_by', ['modality', 'global'])
@pytest.mark.parametrize('predictor', ['nothing', 'oracle'])
def test_section_11_on_the_real_test_split(llp_test_split, predictor,
                                           filter_by):
    weak_labels, gt_audio, gt_visual = llp_test_split
    assert len(weak_labels) == 1200
    # The oracle: every class of the true weak label, on all segments, in
    # both modalities; the video probabilities are that label too.
    if predictor == 'nothing':
        weak_labels = np.zeros_like(weak_labels)
    videos = []
    for labels, audio, visual in zip(weak_labels, gt_audio, gt_visual):
        segment_scores = np.tile(labels, (T, 1))
        videos.append(dict(pred_audio=segment_scores,
                           pred_visual=segment_scores, pred_global=labels,
                           pred_audio_global=labels,
                           pred_visual_global=labels,
                           gt_audio_labels=audio, gt_visual_labels=visual))
    found = unprefixed(evaluate(videos, batch_size=16, filter_by=filter_by))
    for key, expected in SECTION_11[predictor].items():
        assert abs(found[key] - expected) <= 0.005, (key, found[key])
    if predictor == 'nothing':
        # A class with GT has an event and a segment, both missed: the two
        # levels score alike (1.0 exactly where a modality has no GT).
        for name in NAMES:
            assert found[f'event_{name}'] == found[f'segment_{name}']


def test_majority_class_baseline_by_hand():
    """Class 0 fills video A heard and seen; video B hears class 1 once.
    Class 0 everywhere scores 100 on A and 0 on B in every column."""
    from mmcpsp.evaluation.metrics import majority_class_scores
    a_audio = np.zeros((4, 3), dtype=np.int64)
    a_audio[:, 0] = 1
    b_audio = np.zeros((4, 3), dtype=np.int64)
    b_audio[0, 1] = 1
    samples = [
        dict(gt_audio_labels=a_audio, gt_visual_labels=a_audio.copy()),
        dict(gt_audio_labels=b_audio,
             gt_visual_labels=np.zeros((4, 3), dtype=np.int64)),
    ]
    scores = majority_class_scores(samples)
    assert len(scores) == 10
    for key, value in scores.items():
        assert key.startswith('avvp/')
        assert value == pytest.approx(50.0), key
