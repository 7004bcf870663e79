"""Localize audio-visual events in a video of any length, or its features.

Writes OUT_DIR/<name>.json (per second: the class or "background" and the
event probability; the events as intervals) and OUT_DIR/<name>.png (the
timeline); with --attention, OUT_DIR/<name>_attention.png (the
audio-guided attention of every second over a frame of it).

Examples::

    # a video: features from VGGish and VGG-19 weights on local paths
    python demo/demo_avel.py video.mp4 configs/cpsp_fully_ave.py \\
        work_dirs/cpsp_fully_ave/best.pth --out-dir outputs \\
        --audio-weights vggish-10086976.pth \\
        --visual-weights vgg19-dcbb9e9d.pth --attention
    # features: an .npz with audio [N, 128] and visual [N, 7, 7, 512], or
    # the npy layout of tools/data/extract_features.py
    python demo/demo_avel.py clip.npz configs/cpsp_fully_ave.py CKPT \\
        --out-dir outputs --stride 5 --annotations Annotations.txt
    python demo/demo_avel.py features/visual/clip.npy \\
        configs/cpsp_fully_ave.py CKPT --out-dir outputs
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmcpsp.apis import (  # noqa: E402
    AVFeatureExtractor,
    inference_localizer,
    init_localizer,
    load_feature_inputs,
)
from mmcpsp.apis.inference import model_inputs  # noqa: E402
from mmcpsp.apis.inference_inputs import (  # noqa: E402
    is_features_file,
    read_event_annotations,
    read_parsing_annotations,
)
from mmcpsp.datasets import DataValidationError  # noqa: E402
from mmcpsp.utils import atomic_write  # noqa: E402
from mmcpsp.utils.checkpoint import CheckpointError  # noqa: E402
from mmcpsp.visualization import save_figure, save_result  # noqa: E402
from mmcpsp.visualization.attention import (  # noqa: E402
    attention_pages,
    draw_attention,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Localize audio-visual events in a video or features')
    parser.add_argument(
        'input', help='a video of any length, or a features file: an .npz '
        'with audio [N, 128] and visual [N, 7, 7, 512] (one row a second), '
        'or DIR/audio/NAME.npy beside DIR/visual/NAME.npy as written by '
        'tools/data/extract_features.py --layout npy')
    parser.add_argument('config', help='the config of the checkpoint')
    parser.add_argument('checkpoint', help='the checkpoint')
    parser.add_argument(
        '--out-dir', required=True, help='where to write the JSON and PNGs')
    parser.add_argument(
        '--audio-weights',
        help='VGGish weights, for a video input to a features model')
    parser.add_argument(
        '--visual-weights',
        help='VGG-19 weights, for a video input to a features model')
    parser.add_argument(
        '--frames-per-segment', type=int, default=16,
        help='frames of each second averaged by VGG-19 for a features model '
        '(the AVE recipe: 16; fewer is faster); a model trained on raw '
        'videos samples them as its config says')
    parser.add_argument(
        '--window', type=int, default=10,
        help='seconds per window: the length of the training clips')
    parser.add_argument(
        '--stride', type=int,
        help='seconds between windows (default: --window, no overlap); '
        'overlapping windows are averaged')
    parser.add_argument(
        '--annotations', nargs='+',
        help='the annotated events of the input, drawn as ground truth. '
        'Event localization: an AVE-style Annotations.txt '
        '(Category&VideoID&Quality&StartTime&EndTime, VideoID = the file '
        'name without extension). Video parsing: LLP\'s dense files, the '
        'audio then the visual one (AVVP_eval_audio.csv '
        'AVVP_eval_visual.csv), or the folder holding both (rows whose '
        'filename or 11-character video id is the file name)')
    parser.add_argument(
        '--attention', action='store_true',
        help='also draw the audio-guided attention map of every second '
        '(video inputs)')
    parser.add_argument(
        '--amp', action='store_true',
        help='bfloat16 autocast (CPUs with bfloat16 kernels; on a GPU as '
        'MMEngine chooses); the default is the float32 of the recipe')
    parser.add_argument(
        '--device', default='cpu', help='device of the models, e.g. cuda:0')
    return parser.parse_args()


def video_extractor(args: argparse.Namespace) -> AVFeatureExtractor:
    """The feature extractor of a video input: the weights are required."""
    if not (args.audio_weights and args.visual_weights):
        raise SystemExit(
            'A video input needs --audio-weights (VGGish) and '
            '--visual-weights (VGG-19): the model reads their features.')
    return AVFeatureExtractor(
        args.audio_weights,
        args.visual_weights,
        device=args.device,
        frames_per_segment=args.frames_per_segment)


def read_annotations(model, paths: List[str], video: str):
    """The ground truth of ``video`` in the format of the model's task:
    a list of spans (event localization) or a dict of them per modality
    (video parsing); empty when the files name no event of it."""
    if model.head.task == 'avvp':
        spans = read_parsing_annotations(paths, video)
        return spans if any(spans.values()) else {}
    if len(paths) != 1:
        raise SystemExit('--annotations of an event localization model is '
                         'one Annotations.txt.')
    return read_event_annotations(paths[0], video)


def write_outputs(result, out_dir: str,
                  frames: Optional[np.ndarray]) -> None:
    """The JSON, the figure and, with frames, the attention pages."""
    base = osp.join(out_dir, result.video)
    with atomic_write(base + '.json', 'w', encoding='utf-8') as file:
        json.dump(result.to_dict(), file, indent=2)
    save_result(result, base + '.png')
    written = [base + '.json', base + '.png']
    if frames is not None:
        pages = attention_pages(result.num_segments)
        for number, segments in enumerate(pages, 1):
            suffix = '' if len(pages) == 1 else f'_{number}'
            path = f'{base}_attention{suffix}.png'
            save_figure(draw_attention(result, frames, segments), path)
            written.append(path)
    print('Wrote ' + ', '.join(written))


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.input):
        raise SystemExit(f'No such file: {args.input}')
    is_video = not is_features_file(args.input)
    if args.attention and not is_video:
        raise SystemExit('--attention draws over the frames of a video: '
                         'give a video, not a features file.')
    try:
        model = init_localizer(args.config, args.checkpoint, args.device)
    except CheckpointError as error:
        # Unreadable, or not the file its hash-carrying name says.
        raise SystemExit(f'Checkpoint error: {error}') from None
    input_keys, pipeline = model_inputs(model.cfg)
    # A model trained on raw videos decodes them with its test pipeline.
    extractor = video_extractor(args) if is_video and pipeline is None \
        else None
    try:
        inputs = load_feature_inputs(args.input, extractor, input_keys,
                                     pipeline)
        if args.annotations:
            spans = read_annotations(model, args.annotations, inputs.name)
            if spans:
                inputs.gt_spans = spans
            else:
                print(f'{args.annotations} has no event of {inputs.name}: '
                      'drawn without ground truth.')
        result = inference_localizer(
            model,
            inputs,
            window=args.window,
            stride=args.stride,
            with_attention=args.attention,
            amp=args.amp)
    except DataValidationError as error:
        raise SystemExit(str(error)) from None  # it names the file
    except ValueError as error:
        raise SystemExit(f'{args.input}: {error}') from None
    print(result.summary())
    write_outputs(result, args.out_dir,
                  inputs.frames if args.attention else None)


if __name__ == '__main__':
    main()
