"""demo/demo_avel.py on generated videos and on a features file."""
import json

import numpy as np
import pytest
from tool_runner import CONFIG, run_tool

from mmcpsp.structures import label_runs
from mmcpsp.testing import random_image, write_test_video

PNG = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def weights(random_extractor_weights) -> list:
    audio, visual = random_extractor_weights
    return ['--audio-weights', audio, '--visual-weights', visual]


def check_json(path, name: str, num_segments: int) -> dict:
    """The schema, one segment a second, events = runs of event labels."""
    with open(path) as file:
        data = json.load(file)
    assert set(data) == {'video', 'duration', 'segments', 'events'}
    assert data['video'] == name
    segments = data['segments']
    assert len(segments) == num_segments
    assert [(s['start'], s['end']) for s in segments] == [
        (float(k), float(k + 1)) for k in range(num_segments)
    ]
    names = [s['label'] for s in segments]
    codes = {label: index for index, label in enumerate(sorted(set(names)))}
    expected = [
        dict(start=float(start), end=float(stop), label=names[start],
             score=round(float(np.mean(
                 [s['event_score'] for s in segments[start:stop]])), 6))
        for start, stop, _ in label_runs(np.array([codes[n] for n in names]))
        if names[start] != 'background'
    ]
    assert data['events'] == expected
    return data


def run_demo(args: list) -> str:
    result = run_tool(['demo/demo_avel.py', *args])
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize('seconds', [25, 7])
def test_generated_video(trained_checkpoint, weights, tmp_path, seconds):
    video = str(tmp_path / f'clip{seconds}.mp4')
    write_test_video(video, [random_image(s) for s in range(seconds)],
                     tones=[440 + 110 * (s % 4) for s in range(seconds)])
    out_dir = tmp_path / 'out'
    stdout = run_demo([
        video, CONFIG, trained_checkpoint, '--out-dir', str(out_dir),
        '--frames-per-segment', '1', '--attention', *weights
    ])
    data = check_json(out_dir / f'clip{seconds}.json', f'clip{seconds}',
                      seconds)
    assert data['duration'] == pytest.approx(seconds, abs=0.2)
    assert f'clip{seconds}: ' in stdout
    for event in data['events']:
        assert f"{event['label']}  (score {event['score']:.2f})" in stdout
    assert (out_dir / f'clip{seconds}.png').read_bytes()[:8] == PNG
    assert (out_dir /
            f'clip{seconds}_attention.png').read_bytes()[:8] == PNG


def test_features_file_with_annotations(trained_checkpoint,
                                        stitched_features, tmp_path):
    path, spans = stitched_features
    lines = [f'{name}&stitched&good&{start:g}&{end:g}'
             for name, start, end in spans]
    (tmp_path / 'Annotations.txt').write_text(
        'Category&VideoID&Quality&StartTime&EndTime\n' + '\n'.join(lines))
    out_dir = tmp_path / 'out'
    run_demo([
        path, CONFIG, trained_checkpoint,
        '--out-dir', str(out_dir), '--stride', '5', '--annotations',
        str(tmp_path / 'Annotations.txt')
    ])
    check_json(out_dir / 'stitched.json', 'stitched', 25)
    assert (out_dir / 'stitched.png').read_bytes()[:8] == PNG
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'stitched.json', 'stitched.png'
    ]
