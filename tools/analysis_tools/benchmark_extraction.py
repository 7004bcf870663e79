"""Feature extraction in float32 and with --amp, side by side in one run.

On one video (a generated 10-second video with sound unless ``--video``
names one), the networks of a recipe (``ave``: VGGish + VGG-19 pool5 on 16
frames a second; ``llp``: VGGish + ResNet-152 + R(2+1)D-18) run on the same
decoded inputs in float32 and under bfloat16 autocast (what
``tools/data/extract_features.py --amp`` does), alternately for
``--rounds`` rounds. It prints the median seconds per video of each, their
ratio, and how far the bfloat16 features are from the float32 ones.

Weight files default to random values in the published layouts (the speed
does not depend on the values; the feature difference does: give the real
files for the figure that matters). Example::

    python tools/analysis_tools/benchmark_extraction.py --recipe ave \\
        --audio-weights vggish-10086976.pth --visual-weights vgg19-dcbb9e9d.pth

Figures measured with it are in tools/data/README.md.
"""
import argparse
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from mmcpsp.apis import AVFeatureExtractor, LLPFeatureExtractor  # noqa: E402
from mmcpsp.testing import random_image, write_test_video  # noqa: E402
from mmcpsp.testing.weights import (  # noqa: E402
    write_random_r2plus1d_18,
    write_random_torchvision_resnet,
    write_random_vgg19,
    write_random_vggish,
)

#: Weight arguments of each recipe and how to write random stand-ins.
RECIPES = {
    'ave': (('audio_weights', write_random_vggish),
            ('visual_weights', write_random_vgg19)),
    'llp': (('audio_weights', write_random_vggish),
            ('res152_weights', write_random_torchvision_resnet),
            ('r2plus1d_weights', write_random_r2plus1d_18)),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--recipe', choices=sorted(RECIPES), default='ave')
    parser.add_argument('--video', help='a video (default: a generated one)')
    parser.add_argument('--seconds', type=int, default=10,
                        help='length of the generated video')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--frames-per-segment', type=int, default=16,
                        help='VGG-19 frames a second (ave recipe)')
    parser.add_argument('--frame-size', type=int,
                        help='network frame side (default: the recipe\'s)')
    for name, _ in RECIPES['ave'] + RECIPES['llp'][1:]:
        parser.add_argument('--' + name.replace('_', '-'),
                            help='weight file (default: random values)')
    return parser.parse_args(argv)


def build(args: argparse.Namespace, weights: Dict[str, str], amp: bool):
    sizes = {} if args.frame_size is None else dict(
        frame_size=args.frame_size)
    if args.recipe == 'llp':
        return LLPFeatureExtractor(
            weights['audio_weights'], weights['res152_weights'],
            weights['r2plus1d_weights'], amp=amp, **sizes)
    return AVFeatureExtractor(
        weights['audio_weights'], weights['visual_weights'],
        frames_per_segment=args.frames_per_segment, amp=amp, **sizes)


def difference(reference: np.ndarray, other: np.ndarray) -> Dict[str, float]:
    """Relative L2 distance per row (median, max) and max |diff| / max
    |reference|."""
    reference = reference.reshape(len(reference), -1).astype(np.float64)
    other = other.reshape(len(other), -1).astype(np.float64)
    rows = np.linalg.norm(other - reference, axis=1) / np.maximum(
        np.linalg.norm(reference, axis=1), 1e-12)
    return dict(
        relative_l2_median=float(np.median(rows)),
        relative_l2_max=float(rows.max()),
        max_abs_over_max=float(
            np.abs(other - reference).max() /
            max(np.abs(reference).max(), 1e-12)))


def measure(args: argparse.Namespace, folder: str) -> Dict[str, object]:
    weights = {}
    for name, write in RECIPES[args.recipe]:
        weights[name] = getattr(args, name)
        if weights[name] is None:
            weights[name] = osp.join(folder, name + '.pth')
            write(weights[name])
    video = args.video
    if video is None:
        video = osp.join(folder, 'clip.mp4')
        write_test_video(
            video, [random_image(s, (320, 240)) for s in range(args.seconds)],
            tones=[440 + 110 * (s % 4) for s in range(args.seconds)])
    extractors = {amp: build(args, weights, amp) for amp in (False, True)}
    decoded = extractors[False].decode(video)
    seconds: Dict[bool, List[float]] = {False: [], True: []}
    features = {}
    for amp in (False, True):  # warm-up
        features[amp] = extractors[amp].embed(decoded)
    for _ in range(args.rounds):
        for amp in (False, True):
            start = time.perf_counter()
            extractors[amp].embed(decoded)
            seconds[amp].append(time.perf_counter() - start)
    keys = [key for key, value in features[False].items()
            if isinstance(value, np.ndarray)]
    return dict(
        video=args.video or f'generated, {args.seconds} s with sound',
        recipe=args.recipe,
        float32_s=statistics.median(seconds[False]),
        amp_s=statistics.median(seconds[True]),
        dtypes={key: str(features[True][key].dtype) for key in keys},
        difference={key: difference(features[False][key],
                                    features[True][key]) for key in keys})


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='mmcpsp-extraction-') as folder:
        results = measure(args, folder)
    print(f"recipe {results['recipe']}, video: {results['video']}")
    print(f"| | s per video (median of {args.rounds}) |\n|---|---|")
    print(f"| float32 | {results['float32_s']:.2f} |")
    print(f"| --amp (bfloat16 autocast) | {results['amp_s']:.2f} |")
    print(f"float32 / amp time: {results['float32_s'] / results['amp_s']:.2f}")
    for key, diff in results['difference'].items():
        print(f"{key} ({results['dtypes'][key]}): relative L2 per row "
              f"median {diff['relative_l2_median']:.4f}, max "
              f"{diff['relative_l2_max']:.4f}; max |diff| / max |float32| "
              f"{diff['max_abs_over_max']:.4f}")
    return results


if __name__ == '__main__':
    main()
