"""An independent, loop-by-loop reading of avvp.md section 9 (AVVP metric).

Plain Python per video, per class, per modality, sharing no code with
``mmcpsp.evaluation.metrics.avvp_metric``: events are found by walking
each row, overlaps are compared on sets of segments. Samples are dicts
with ``pred_audio``, ``pred_visual`` [T][C], ``pred_global``,
``pred_audio_global``, ``pred_visual_global`` [C], ``gt_audio_labels``,
``gt_visual_labels`` [T][C] (anything indexable: arrays, tensors, lists).
"""
T, C = 10, 25
LEVELS = ('segment', 'event')
NAMES = ('audio', 'visual', 'audio_visual', 'type', 'event')
KEYS = tuple(f'{level}_{name}' for level in LEVELS for name in NAMES)


def binarise(sample, filter_by, threshold=0.5):
    """A, V of spec 9.1 as nested lists [T][C] of 0/1."""
    if filter_by == 'modality':
        filters = (sample['pred_audio_global'], sample['pred_visual_global'])
    else:
        filters = (sample['pred_global'], sample['pred_global'])
    labels = []
    for scores, video_scores in zip(
        (sample['pred_audio'], sample['pred_visual']), filters):
        labels.append([[
            int(float(scores[t][c]) >= threshold
                and float(video_scores[c]) >= threshold) for c in range(C)
        ] for t in range(T)])
    return labels


def runs(row):
    """Maximal runs of 1s of a list of 0/1, as (first, last) segments."""
    found, start = [], None
    for index, value in enumerate(list(row) + [0]):
        if value and start is None:
            start = index
        elif not value and start is not None:
            found.append((start, index - 1))
            start = None
    return found


def overlap_passes(first, second):
    """|p & g| >= 0.5 |p | g| of two runs, from their segment sets."""
    first_set = set(range(first[0], first[1] + 1))
    second_set = set(range(second[0], second[1] + 1))
    return len(first_set & second_set) >= 0.5 * len(first_set | second_set)


def class_counts(pred_row, gt_row, level):
    """(TP, FP, FN) of one class of one modality of one video."""
    if level == 'segment':
        pairs = list(zip(pred_row, gt_row))
        return (sum(1 for p, g in pairs if p and g),
                sum(1 for p, g in pairs if p and not g),
                sum(1 for p, g in pairs if g and not p))
    pred_events, gt_events = runs(pred_row), runs(gt_row)
    tp = fp = fn = 0
    for pred_event in pred_events:
        if any(overlap_passes(pred_event, gt_event)
               for gt_event in gt_events):
            tp += 1
        else:
            fp += 1
    for gt_event in gt_events:
        if not any(overlap_passes(pred_event, gt_event)
                   for pred_event in pred_events):
            fn += 1
    return tp, fp, fn


def video_score(counts):
    """Mean F over the classes predicted or annotated; 1.0 if none."""
    f_scores = [
        2 * tp / (2 * tp + fp + fn) for tp, fp, fn in counts
        if tp + fp > 0 or tp + fn > 0
    ]
    return sum(f_scores) / len(f_scores) if f_scores else 1.0


def metrics(samples, filter_by):
    """The ten split scores of spec 9.4, in percent, by metric key."""
    per_video = {key: [] for key in KEYS}
    for sample in samples:
        audio, visual = binarise(sample, filter_by)
        gt_audio = [[int(sample['gt_audio_labels'][t][c]) for c in range(C)]
                    for t in range(T)]
        gt_visual = [[
            int(sample['gt_visual_labels'][t][c]) for c in range(C)
        ] for t in range(T)]
        preds = (audio, visual, [[audio[t][c] * visual[t][c]
                                  for c in range(C)] for t in range(T)])
        gts = (gt_audio, gt_visual, [[
            gt_audio[t][c] * gt_visual[t][c] for c in range(C)
        ] for t in range(T)])
        for level in LEVELS:
            # [audio, visual, audio-visual][class] -> (TP, FP, FN)
            modality_counts = [[
                class_counts([pred[t][c] for t in range(T)],
                             [gt[t][c] for t in range(T)], level)
                for c in range(C)
            ] for pred, gt in zip(preds, gts)]
            for name, counts in zip(NAMES[:3], modality_counts):
                per_video[f'{level}_{name}'].append(video_score(counts))
            pooled = [
                tuple(a + v for a, v in zip(modality_counts[0][c],
                                            modality_counts[1][c]))
                for c in range(C)
            ]
            per_video[f'{level}_event'].append(video_score(pooled))
    scores = {}
    for level in LEVELS:
        for name in NAMES[:3]:
            values = per_video[f'{level}_{name}']
            scores[f'{level}_{name}'] = 100 * sum(values) / len(values)
        scores[f'{level}_type'] = sum(
            scores[f'{level}_{name}'] for name in NAMES[:3]) / 3
        values = per_video[f'{level}_event']
        scores[f'{level}_event'] = 100 * sum(values) / len(values)
    return scores
