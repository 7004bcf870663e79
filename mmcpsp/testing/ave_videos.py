"""A tiny AVE release of raw videos: AVE/<VideoID>.mp4, Annotations.txt,
the three split txt files and the order files, as users download them.

Each video is ten seconds. Inside its annotated event it shows its class's
colour and plays its class's tone; outside, random pixels and silence, so
events are visible in the raw audio and frames.
"""
import os
import os.path as osp
import string
from typing import Dict, List, Sequence

import h5py
import numpy as np

from mmcpsp.datasets.ave.annotations import ANNOTATION_FIELDS
from mmcpsp.datasets.constants import NUM_SEGMENTS

from .videos import random_image, solid_image, write_test_video

#: The split txt files of the AVE release, with their header line.
SPLIT_FILES = dict(train='trainSet.txt', val='valSet.txt', test='testSet.txt')
HEADER = '&'.join(ANNOTATION_FIELDS)


def _class_color(class_index: int) -> tuple:
    rng = np.random.default_rng(1000 + class_index)
    return tuple(int(value) for value in rng.integers(0, 256, 3))


def write_ave_videos(root: str,
                     categories: Sequence[str],
                     num_videos: int,
                     seed: int = 0,
                     size: tuple = (64, 48),
                     fps: int = 4,
                     sample_rate: int = 16000) -> Dict[str, List[str]]:
    """Write a tiny AVE release of raw videos under ``root``.

    Every category gets at least one video (rows grouped by category, as
    in the release); a fifth of the videos (at least one) go to val, as
    many to test, the others to train.

    Args:
        root (str): Output folder.
        categories (Sequence[str]): Category names (AVE's, or a subset).
        num_videos (int): Number of videos, at least ``len(categories)``
            and at least 3.
        seed (int): Random seed. Defaults to 0.
        size (tuple): Frame width and height. Defaults to (64, 48).
        fps (int): Frame rate. Defaults to 4.
        sample_rate (int): Audio rate. Defaults to 16000.

    Returns:
        dict: ``lines`` (Annotations.txt lines, in row order) and, per
        split, the lines of that split.
    """
    if num_videos < max(3, len(categories)):
        raise ValueError('num_videos must cover every category and the '
                         'three splits')
    rng = np.random.default_rng(seed)
    classes = np.sort(np.concatenate([
        np.arange(len(categories)),
        rng.integers(0, len(categories), num_videos - len(categories))
    ]))
    alphabet = np.array(list(string.ascii_letters + string.digits + '-_'))
    os.makedirs(osp.join(root, 'AVE'), exist_ok=True)
    lines = []
    for row, class_index in enumerate(classes):
        video_id = ''.join(rng.choice(alphabet, 11))
        start = int(rng.integers(0, 8))
        end = int(rng.integers(start + 1, NUM_SEGMENTS + 1))
        lines.append(f'{categories[class_index]}&{video_id}&good&{start}&'
                     f'{end}')
        in_event = [start <= second < end for second in range(NUM_SEGMENTS)]
        images = [
            solid_image(_class_color(class_index), size) if event else
            random_image(seed * 100000 + row * 10 + second, size)
            for second, event in enumerate(in_event)
        ]
        tones = [300.0 + 150.0 * class_index if event else 0.0
                 for event in in_event]
        write_test_video(
            osp.join(root, 'AVE', f'{video_id}.mp4'), images, tones,
            fps=fps, sample_rate=sample_rate)
    with open(osp.join(root, 'Annotations.txt'), 'w') as file:
        file.write('\n'.join(lines) + '\n')
    rows = rng.permutation(num_videos)
    held_out = max(1, num_videos // 5)
    orders = dict(test=rows[:held_out], val=rows[held_out:2 * held_out],
                  train=rows[2 * held_out:])
    result = dict(lines=lines)
    for split, split_rows in orders.items():
        split_rows = np.sort(split_rows)
        with h5py.File(osp.join(root, f'{split}_order.h5'), 'w') as h5_file:
            h5_file.create_dataset('order', data=split_rows.astype(np.int64))
        split_lines = [lines[row] for row in split_rows]
        with open(osp.join(root, SPLIT_FILES[split]), 'w') as file:
            file.write('\n'.join([HEADER] + split_lines) + '\n')
        result[split] = split_lines
    return result
