"""A web page that localizes the events of an uploaded video or features.

One page over the inference API (the same steps as ``demo/demo_avel.py``,
:mod:`mmcpsp.apis.file_inference`): upload a video or an ``.npz`` features
file, optionally set the window and the stride, press Localize; the page
shows the timeline, the events, the per-second table and, for a video,
the audio-guided attention, and offers the JSON of ``demo_avel.py``. The
endpoint ``/localize`` does the same for ``gradio_client`` scripts.

Examples::

    # a checkpoint alone (it stores its config and class names)
    python demo/webui.py work_dirs/demo_cpsp_fully_ave/best.pth
    # a features model reading videos: the extractor's weights
    python demo/webui.py CKPT --audio-weights vggish-10086976.pth \\
        --visual-weights vgg19-dcbb9e9d.pth --concurrency 2

It listens on 127.0.0.1 unless ``--host`` says otherwise; uploads and
generated files live in a temporary folder removed when the server stops.
"""
import argparse
import html
import logging
import os
import os.path as osp
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import torch.nn as nn

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmcpsp.apis import (  # noqa: E402
    InputFileError,
    init_localizer,
    localize_inputs,
    read_file_inputs,
    write_result_files,
)
from mmcpsp.apis.extractor_base import VideoFeatureExtractor  # noqa: E402
from mmcpsp.apis.file_inference import (  # noqa: E402
    build_video_extractor,
    reads_raw_videos,
    video_needs_weights,
)
from mmcpsp.apis.inference import model_inputs  # noqa: E402
from mmcpsp.apis.inference_inputs import is_features_file  # noqa: E402
from mmcpsp.apis.inference_progress import WINDOWS  # noqa: E402
from mmcpsp.apis.sliding_window import has_attention_maps  # noqa: E402
from mmcpsp.utils.checkpoint import CheckpointError  # noqa: E402

logger = logging.getLogger('mmcpsp.webui')

#: Column names of the per-second table, for the fields of the results' JSON.
COLUMN_NAMES = {'event_score': 'event probability',
                'audio_visual': 'audio-visual'}
#: Generated files older than this are deleted while the server runs
#: (Gradio's cache of uploads and outputs, and this page's own outputs).
KEEP_SECONDS = 3600


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='A web page that localizes audio-visual events')
    parser.add_argument('checkpoint', help='the checkpoint')
    parser.add_argument(
        '--config',
        help='its config (default: the one the checkpoint stores)')
    parser.add_argument(
        '--audio-weights',
        help='VGGish weights, for video uploads to a features model')
    parser.add_argument(
        '--visual-weights',
        help='VGG-19 weights, for video uploads to a features model')
    parser.add_argument(
        '--res152-weights',
        help='ResNet-152 weights (torchvision\'s), with --audio-weights and '
        '--r2plus1d-weights, for video uploads to a video parsing (LLP) '
        'features model')
    parser.add_argument(
        '--r2plus1d-weights',
        help='R(2+1)D-18 weights (torchvision\'s), for video uploads to a '
        'video parsing (LLP) features model')
    parser.add_argument(
        '--frames-per-segment', type=int, default=16,
        help='frames of each second averaged by VGG-19 (features models)')
    parser.add_argument(
        '--host', default='127.0.0.1',
        help='address to listen on; 0.0.0.0 serves every network the '
        'machine is on (see the README)')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument(
        '--max-file-size', default='200mb',
        help='largest upload, e.g. 200mb or 1gb; larger ones are refused')
    parser.add_argument(
        '--concurrency', type=int, default=1,
        help='requests decoded and extracted at once; more wait in the '
        'queue (the model itself runs one request at a time)')
    parser.add_argument(
        '--queue-size', type=int, default=16,
        help='requests that may wait; more are turned away')
    parser.add_argument(
        '--device', default='cpu', help='device of the models, e.g. cuda:0')
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.queue_size < 1:
        parser.error('--concurrency and --queue-size must be positive')
    return args


def _cell(value: Any) -> Any:
    return ', '.join(value) if isinstance(value, list) else value


def segment_table(data: Dict[str, Any]
                  ) -> Tuple[List[str], List[List[Any]]]:
    """Headers and rows of the per-second table of a result's JSON.

    The columns are the fields of its segments: for event localization
    start, end, label and event probability; for video parsing start,
    end and the audio, visual and audio-visual classes.
    """
    segments = data['segments']
    fields = list(segments[0]) if segments else ['start', 'end']
    return ([COLUMN_NAMES.get(field, field) for field in fields],
            [[_cell(segment[field]) for field in fields]
             for segment in segments])


def event_table(data: Dict[str, Any]
                ) -> Tuple[List[str], List[List[Any]]]:
    """Headers and rows of the events of a result's JSON: ``events`` (event
    localization), or ``audio_events`` ... with a modality column."""
    keys = [key for key in data if key.endswith('events')]
    fields = ['start', 'end', 'label', 'score']
    if keys == ['events']:
        return fields, [[event[field] for field in fields]
                        for event in data['events']]
    return ['modality'] + fields, [
        [key[:-len('_events')].replace('_', '-')] +
        [event[field] for field in fields] for key in keys
        for event in data[key]
    ]


def _progress_callback(progress):
    """Report the stages of an inference to a ``gr.Progress``."""

    def report(stage: str, done: int, total: int) -> None:
        if stage == WINDOWS:
            progress((done, total), desc=stage, unit='windows')
        else:
            progress(done / total, desc=stage)

    return report


class PageLocalizer:
    """What the page runs for one upload, writing under ``work_dir``.

    Args:
        model (nn.Module): A model from :func:`init_localizer`.
        extractor (VideoFeatureExtractor, optional): Reads videos for a
            features model. Defaults to None.
        work_dir (str): The server's temporary folder.
    """

    def __init__(self, model: nn.Module,
                 extractor: Optional[VideoFeatureExtractor],
                 work_dir: str) -> None:
        self.model = model
        self.extractor = extractor
        self.outputs_dir = osp.join(work_dir, 'outputs')
        os.makedirs(self.outputs_dir, exist_ok=True)
        # Requests decode and extract at once; the windows run one request
        # at a time (the attention maps are read through forward hooks).
        self._model_lock = threading.Lock()

    def _remove_old_outputs(self) -> None:
        limit = time.time() - KEEP_SECONDS
        for name in os.listdir(self.outputs_dir):
            path = osp.join(self.outputs_dir, name)
            if osp.getmtime(path) < limit:
                shutil.rmtree(path, ignore_errors=True)

    def localize(self, upload: Optional[str], window: Optional[float],
                 stride: Optional[float], progress) -> Tuple[Any, ...]:
        """The timeline, the JSON and the rest of the page for an upload.

        Raises:
            gr.Error: With one line naming the upload when it cannot be
                read (or the window or stride is out of range).
        """
        import gradio as gr
        if upload is None:
            raise gr.Error('Upload a video or a features file (.npz).',
                           print_exception=False)
        name = osp.basename(upload)
        if name.lower().endswith('.npy'):
            # The npy layout finds the other inputs beside it on the
            # server, which no upload may name.
            raise gr.Error(
                html.escape(f'{name}: a .npy file holds one input; upload '
                            'an .npz with all the inputs of the model.',
                            quote=False),
                print_exception=False)
        refusal = video_refusal(self.model, self.extractor)
        if refusal is not None and not is_features_file(upload):
            raise gr.Error(html.escape(f'{name}: {refusal}', quote=False),
                           print_exception=False)
        report = _progress_callback(progress)
        with_attention = (not is_features_file(upload)
                          and has_attention_maps(self.model))
        try:
            inputs = read_file_inputs(self.model, upload, self.extractor,
                                      report, shown_as=name)
            with self._model_lock:
                result = localize_inputs(
                    self.model,
                    inputs,
                    window=10 if window is None else int(window),
                    # The page sends 0 for an empty stride.
                    stride=int(stride) if stride else None,
                    with_attention=with_attention,
                    progress=report,
                    shown_as=name)
            self._remove_old_outputs()
            out_dir = tempfile.mkdtemp(dir=self.outputs_dir)
            frames = inputs.frames if getattr(result, 'attention',
                                              None) is not None else None
            written = write_result_files(result, out_dir, frames)
        except InputFileError as error:
            raise gr.Error(html.escape(str(error), quote=False),
                           print_exception=False) from None
        except Exception as error:
            logger.exception('Localizing %s failed', name)
            raise gr.Error(
                html.escape(f'{name}: the model could not localize it '
                            f'({type(error).__name__}: {error})',
                            quote=False),
                print_exception=False) from None
        data = result.to_dict()
        return written[1], data, dict(json=written[0],
                                      attention=written[2:])


def video_refusal(model: nn.Module,
                  extractor: Optional[VideoFeatureExtractor]
                  ) -> Optional[str]:
    """Why the page reads no video for ``model`` (the extractor weights of
    its feature recipe were not given), or None when it does."""
    if reads_raw_videos(model) or extractor is not None:
        return None
    return video_needs_weights(model)


def _model_note(model: nn.Module, checkpoint: str,
                extractor: Optional[VideoFeatureExtractor]) -> str:
    classes = model.dataset_meta['num_classes']
    reads = ('raw videos' if reads_raw_videos(model) else
             'the features ' + ', '.join(model_inputs(model.cfg)[0]))
    note = (f'**Model**: `{html.escape(osp.basename(checkpoint))}`, '
            f'{type(model).__name__} ({model.head.task}, {classes} '
            f'classes), reading {reads}.')
    refusal = video_refusal(model, extractor)
    if refusal is not None:
        note += (f'\n\n**Videos cannot be read here**: {refusal} '
                 'Features files (.npz) work.')
    return note


def build_app(model: nn.Module,
              work_dir: str,
              extractor: Optional[VideoFeatureExtractor] = None,
              checkpoint: str = 'checkpoint',
              concurrency: int = 1,
              queue_size: int = 16):
    """The page, with its queue.

    Uploads and generated files go to ``work_dir`` (Gradio's temporary
    folder, ``GRADIO_TEMP_DIR``, is set to it), the only folder served.

    Args:
        model (nn.Module): A model from :func:`init_localizer`.
        work_dir (str): The server's temporary folder.
        extractor (VideoFeatureExtractor, optional): Reads videos for a
            features model. Defaults to None.
        checkpoint (str): Named on the page. Defaults to ``'checkpoint'``.
        concurrency (int): Requests run at once
            (``queue(default_concurrency_limit=...)``). Defaults to 1.
        queue_size (int): Requests that may wait. Defaults to 16.

    Returns:
        gr.Blocks: The app, to ``launch``.
    """
    os.environ['GRADIO_TEMP_DIR'] = work_dir
    import gradio as gr
    page = PageLocalizer(model, extractor, work_dir)

    def localize(upload, window=10, stride=None, progress=gr.Progress()):
        return page.localize(upload, window, stride, progress)

    def show_details(data, details):
        segment_headers, segment_rows = segment_table(data)
        event_headers, event_rows = event_table(data)
        attention = details['attention']
        return (gr.Dataframe(event_rows, headers=event_headers),
                gr.Dataframe(segment_rows, headers=segment_headers),
                gr.Gallery(attention, visible=bool(attention)),
                details['json'])

    with gr.Blocks(title='mmcpsp: audio-visual events',
                   analytics_enabled=False,
                   delete_cache=(600, KEEP_SECONDS)) as app:
        gr.Markdown('# Audio-visual events of a video\n\n' +
                    _model_note(model, checkpoint, extractor))
        with gr.Row():
            upload = gr.File(
                label='Video, or features (.npz with the model\'s inputs, '
                'one row a second)',
                type='filepath', elem_id='upload', scale=2)
            with gr.Column(scale=1):
                with gr.Row():
                    window = gr.Number(
                        10, label='Window (s)', precision=0, minimum=1,
                        info='the length of the training clips')
                    stride = gr.Number(
                        None, label='Stride (s)', precision=0, minimum=0,
                        info='empty or 0: the window (no overlap)')
                button = gr.Button('Localize', variant='primary',
                                   elem_id='localize')
        timeline = gr.Image(label='Timeline', type='filepath', format='png',
                            interactive=False, elem_id='timeline')
        events = gr.Dataframe(label='Events', interactive=False,
                              elem_id='events')
        segments = gr.Dataframe(label='Per second', interactive=False,
                                max_height=400, elem_id='segments')
        attention = gr.Gallery(label='Audio-guided attention',
                               format='png', columns=1, height='auto',
                               object_fit='contain', preview=True,
                               visible=False,
                               elem_id='attention')
        json_file = gr.File(label='JSON', interactive=False)
        with gr.Accordion('JSON', open=False):
            data = gr.JSON(label='JSON')
        details = gr.State()
        button.click(
            localize, [upload, window, stride], [timeline, data, details],
            api_name='localize').success(
                show_details, [data, details],
                [events, segments, attention, json_file],
                api_visibility='private')
    app.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    return app


def launch_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    """``Blocks.launch`` arguments: the address, the upload limit, and
    nothing that reaches beyond this machine (no share link, no
    analytics, no external fonts, no monitoring or MCP endpoints)."""
    import gradio as gr
    fonts = dict(font=['ui-sans-serif', 'system-ui', 'sans-serif'],
                 font_mono=['ui-monospace', 'monospace'])
    return dict(
        server_name=args.host,
        server_port=args.port,
        max_file_size=args.max_file_size,
        share=False,
        ssr_mode=False,
        enable_monitoring=False,
        mcp_server=False,
        run_history=False,
        footer_links=['api'],
        theme=gr.themes.Default(**fonts))


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'
    try:
        model = init_localizer(args.config, args.checkpoint, args.device)
    except CheckpointError as error:
        raise SystemExit(f'Checkpoint error: {error}') from None
    extractor = None
    given = [name for name in ('audio_weights', 'visual_weights',
                               'res152_weights', 'r2plus1d_weights')
             if getattr(args, name)]
    if given and not reads_raw_videos(model):
        extractor = build_video_extractor(
            model, vars(args), args.device, args.frames_per_segment)
        if extractor is None:
            raise SystemExit(video_needs_weights(model))
    elif given:
        logger.info('The model decodes videos itself: the extractor '
                    'weights are not used.')
    with tempfile.TemporaryDirectory(prefix='mmcpsp-webui-') as work_dir:
        # Ctrl+C and SIGTERM close the server; the folder goes with it.
        signal.signal(signal.SIGTERM, _stop)
        app = build_app(model, work_dir, extractor, args.checkpoint,
                        args.concurrency, args.queue_size)
        logger.info('Files of this session: %s (removed at exit)',
                    work_dir)
        app.launch(**launch_kwargs(args))


if __name__ == '__main__':
    main()
