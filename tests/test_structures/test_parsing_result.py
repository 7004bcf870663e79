import json

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample

from mmcpsp.structures import (
    ParsingResult,
    labels_from_spans,
    result_from_data_sample,
    result_type_of,
)
from mmcpsp.visualization import draw_result, figure_to_image, save_result

CLASSES = ('Speech', 'Dog', 'Car')


def make_result(**kwargs):
    audio = np.zeros((6, 3), np.int64)
    visual = np.zeros((6, 3), np.int64)
    audio[0:3, 0] = 1  # Speech heard 0-3 s
    audio[4:6, 1] = 1  # Dog heard 4-6 s
    visual[1:5, 1] = 1  # Dog seen 1-5 s
    visual[5, 2] = 1  # Car seen 5-6 s
    scores = np.full((6, 3), 0.25)
    return ParsingResult('clip', CLASSES, audio, visual,
                         np.where(audio, 0.8, scores),
                         np.where(visual, 0.6, scores), **kwargs)


def test_events_per_modality():
    result = make_result()
    assert [(e.start, e.end, e.label) for e in result.intervals('audio')] == [
        (0.0, 3.0, 'Speech'), (4.0, 6.0, 'Dog')]
    assert [(e.start, e.end, e.label)
            for e in result.intervals('visual')] == [(1.0, 5.0, 'Dog'),
                                                     (5.0, 6.0, 'Car')]
    both = result.intervals('audio_visual')
    assert [(e.start, e.end, e.label) for e in both] == [(4.0, 5.0, 'Dog')]
    # Heard and seen: the smaller of the two probabilities.
    assert both[0].score == pytest.approx(0.6)
    assert result.intervals('audio')[0].score == pytest.approx(0.8)


def test_to_dict_is_json_with_three_event_lists():
    data = json.loads(json.dumps(make_result().to_dict()))
    assert data['duration'] == 6.0
    assert len(data['segments']) == 6
    assert data['segments'][4] == dict(
        start=4.0, end=5.0, audio=['Dog'], visual=['Dog'],
        audio_visual=['Dog'])
    assert data['segments'][3]['audio'] == []
    assert [event['label'] for event in data['audio_events']] == [
        'Speech', 'Dog']
    assert len(data['visual_events']) == 2
    assert len(data['audio_visual_events']) == 1
    assert 'audio-visual: 1 event(s)' in make_result().summary()


def test_from_predictions_with_annotated_spans():
    result = make_result()
    spans = dict(audio=[('Speech', 0, 3)], visual=[('Dog', 1.0, 5.0)])
    again = result_type_of('avvp').from_predictions(
        'clip', CLASSES, dict(audio=result.audio_scores,
                              visual=result.visual_scores),
        dict(audio_labels=result.audio_labels,
             visual_labels=result.visual_labels), gt_spans=spans,
        event_threshold=0.5)
    np.testing.assert_array_equal(again.gt_audio_labels[:, 0],
                                  [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(again.gt_visual_labels[:, 1],
                                  [0, 1, 1, 1, 1, 0])
    assert again.gt_audio_labels[:, 1:].sum() == 0
    with pytest.raises(ValueError, match='not a class'):
        labels_from_spans([('Cat', 0, 1)], CLASSES, 6)


def test_from_data_sample_of_a_parsing_head():
    result = make_result()
    sample = ActionDataSample()
    for name, value in (('pred_audio', result.audio_scores),
                        ('pred_visual', result.visual_scores),
                        ('pred_audio_labels', result.audio_labels),
                        ('pred_visual_labels', result.visual_labels),
                        ('gt_audio_labels', result.audio_labels),
                        ('gt_visual_labels', result.visual_labels)):
        sample.set_field(torch.from_numpy(value), name, dtype=torch.Tensor)
    built = result_from_data_sample('v', sample, CLASSES)
    assert isinstance(built, ParsingResult)
    np.testing.assert_array_equal(built.visual_labels, result.visual_labels)
    np.testing.assert_array_equal(built.gt_audio_labels, result.audio_labels)
    assert result_from_data_sample('v', sample, CLASSES,
                                   draw_gt=False).gt_audio_labels is None


def test_shapes_are_checked():
    with pytest.raises(ValueError, match='visual_labels'):
        ParsingResult('x', CLASSES, np.zeros((4, 3)), np.zeros((4, 2)),
                      np.zeros((4, 3)), np.zeros((4, 3)))


def test_figure_has_two_tracks(tmp_path):
    result = make_result(gt_audio_labels=np.zeros((6, 3)),
                         gt_visual_labels=np.zeros((6, 3)),
                         event_threshold=0.5)
    figure = draw_result(result)
    tracks = [ax for ax in figure.axes if ax.get_ylabel()]
    assert [ax.get_ylabel() for ax in tracks] == ['heard', 'seen']
    assert [label.get_text() for label in tracks[0].get_yticklabels()] == [
        'Speech', 'Dog', 'Car']
    assert figure_to_image(figure).ndim == 3
    save_result(result, str(tmp_path / 'parse.png'))
    assert (tmp_path / 'parse.png').read_bytes()[:4] == b'\x89PNG'
