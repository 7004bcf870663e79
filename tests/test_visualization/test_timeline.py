import numpy as np
import pytest
from matplotlib.colors import to_rgb

from mmcpsp.structures import LocalizationResult
from mmcpsp.visualization import draw_timeline, figure_to_image, save_timeline
from mmcpsp.visualization.timeline import BACKGROUND_COLOR, CLASS_COLORS

CLASSES = ('Church bell', 'Male speech, man speaking', 'Bark')
BG = len(CLASSES)


def make_result(with_gt: bool, num_segments: int = 12) -> LocalizationResult:
    labels = np.full(num_segments, BG)
    labels[2:6] = 2
    labels[8:] = 0
    gt = np.full(num_segments, BG)
    gt[3:7] = 2
    return LocalizationResult(
        'clip', CLASSES, labels, np.where(labels == BG, 0.2, 0.9),
        gt_segment_labels=gt if with_gt else None)


def pixel(figure, image, ax, x: float, y: float) -> np.ndarray:
    """RGB in [0, 1] of data point (x, y) of ``ax`` in ``image``."""
    column, row = ax.transData.transform((x, y))
    return image[int(round(image.shape[0] - row)), int(round(column))] / 255


def texts_of(ax) -> list:
    return [text.get_text() for text in ax.texts]


def test_rows_colours_and_names():
    result = make_result(with_gt=True)
    figure = draw_timeline(result)
    image = figure_to_image(figure)
    predicted, scores, truth = figure.axes[:3]
    assert [ax.get_yticklabels()[0].get_text()
            for ax in (predicted, truth)] == ['predicted', 'ground truth']
    # Classes are coloured by first appearance: Bark first, then Church bell.
    bark, bell = to_rgb(CLASS_COLORS[0]), to_rgb(CLASS_COLORS[1])
    np.testing.assert_allclose(pixel(figure, image, predicted, 2.5, 0.2),
                               bark, atol=0.02)
    np.testing.assert_allclose(pixel(figure, image, predicted, 9.5, 0.2),
                               bell, atol=0.02)
    np.testing.assert_allclose(pixel(figure, image, predicted, 7.5, 0.2),
                               to_rgb(BACKGROUND_COLOR), atol=0.02)
    np.testing.assert_allclose(pixel(figure, image, truth, 6.5, 0.2), bark,
                               atol=0.02)
    np.testing.assert_allclose(pixel(figure, image, truth, 2.5, 0.2),
                               to_rgb(BACKGROUND_COLOR), atol=0.02)
    assert 'Bark' in texts_of(predicted)
    assert 'Church bell' in texts_of(predicted)
    assert '6/12 seconds correct' in figure._suptitle.get_text()
    assert scores.get_xlim() == (0, 12)
    # The probability curve passes through each second's score.
    steps = scores.lines[0]
    np.testing.assert_allclose(steps.get_ydata()[:12], result.event_scores)
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ['Bark', 'Church bell', 'background']


def test_without_ground_truth_two_rows():
    figure = draw_timeline(make_result(with_gt=False))
    assert len(figure.axes) == 2
    assert 'correct' not in figure._suptitle.get_text()


@pytest.mark.parametrize('seconds', [3, 25, 600])
def test_names_are_shortened_to_fit(seconds):
    labels = np.full(seconds, 1)
    labels[0] = BG
    result = LocalizationResult('long', CLASSES, labels, np.ones(seconds))
    figure = draw_timeline(result)
    names = texts_of(figure.axes[0])
    assert len(names) == 1
    name = names[0]
    assert name == 'Male speech, man speaking' or (
        name.endswith('\u2026') and 'Male speech'.startswith(name[:3]))
    width = figure.get_figwidth()
    assert 7.0 <= width <= 18.0


def test_save_timeline_writes_a_png(tmp_path):
    path = tmp_path / 'sub' / 'clip.png'
    save_timeline(make_result(with_gt=True), str(path))
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert [p.name for p in path.parent.iterdir()] == ['clip.png']
