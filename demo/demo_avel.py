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
import os.path as osp
import sys
from typing import List

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmcpsp.apis import (  # noqa: E402
    InputFileError,
    init_localizer,
    localize_inputs,
    read_file_inputs,
    write_result_files,
)
from mmcpsp.apis.file_inference import (  # noqa: E402
    build_video_extractor,
    needs_extractor,
    video_needs_weights,
)
from mmcpsp.apis.inference_inputs import (  # noqa: E402
    is_features_file,
    read_event_annotations,
    read_parsing_annotations,
)
from mmcpsp.datasets import DataValidationError  # noqa: E402
from mmcpsp.utils.checkpoint import CheckpointError  # noqa: E402


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
        '--res152-weights',
        help='ResNet-152 weights (torchvision\'s), for a video input to a '
        'video parsing (LLP) features model, with --audio-weights and '
        '--r2plus1d-weights')
    parser.add_argument(
        '--r2plus1d-weights',
        help='R(2+1)D-18 weights (torchvision\'s), for a video input to a '
        'video parsing (LLP) features model')
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
        help='bfloat16 autocast for the model and, for a video, the visual '
        'feature network (CPUs with bfloat16 kernels; on a GPU as MMEngine '
        'chooses); the default is the float32 of the recipe')
    parser.add_argument(
        '--device', default='cpu', help='device of the models, e.g. cuda:0')
    return parser.parse_args()


def video_extractor(model, args: argparse.Namespace):
    """The feature extractor of a video input to a features model (the
    recipe of the model's inputs): its weights are required."""
    extractor = build_video_extractor(
        model, vars(args), args.device, args.frames_per_segment, args.amp)
    if extractor is None:
        raise SystemExit(video_needs_weights(model))
    return extractor


def read_annotations(model, paths: List[str], video: str):
    """The ground truth of ``video`` in the format of the model's task:
    a list of spans (event localization) or a dict of them per modality
    (video parsing); empty when the files name no event of it."""
    if model.head.task == 'avvp':
        try:
            spans = read_parsing_annotations(paths, video)
        except ValueError as error:  # not two files or one folder
            raise SystemExit(f'--annotations: {error}') from None
        return spans if any(spans.values()) else {}
    if len(paths) != 1:
        raise SystemExit('--annotations of an event localization model is '
                         'one Annotations.txt.')
    return read_event_annotations(paths[0], video)


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.input):
        raise SystemExit(f'No such file: {args.input}')
    if args.attention and is_features_file(args.input):
        raise SystemExit('--attention draws over the frames of a video: '
                         'give a video, not a features file.')
    try:
        model = init_localizer(args.config, args.checkpoint, args.device)
    except CheckpointError as error:
        # Unreadable, or not the file its hash-carrying name says.
        raise SystemExit(f'Checkpoint error: {error}') from None
    # A model trained on raw videos decodes them with its test pipeline.
    extractor = video_extractor(model, args) if needs_extractor(
        model, args.input) else None
    try:
        inputs = read_file_inputs(model, args.input, extractor)
        if args.annotations:
            spans = read_annotations(model, args.annotations, inputs.name)
            if spans:
                inputs.gt_spans = spans
            else:
                print(f'{args.annotations} has no event of {inputs.name}: '
                      'drawn without ground truth.')
        result = localize_inputs(
            model,
            inputs,
            window=args.window,
            stride=args.stride,
            with_attention=args.attention,
            amp=args.amp,
            shown_as=args.input)
    except (InputFileError, DataValidationError) as error:
        # Each names its file (the input, or the annotations).
        raise SystemExit(str(error)) from None
    print(result.summary())
    written = write_result_files(result, args.out_dir,
                                 inputs.frames if args.attention else None)
    print('Wrote ' + ', '.join(written))


if __name__ == '__main__':
    main()
