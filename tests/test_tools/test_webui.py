"""demo/webui.py: the page built in-process, called over HTTP through
gradio_client as a script would, and the command line."""
import importlib.util
import json
import os
import os.path as osp
import runpy
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from mmengine.config import Config
from tool_runner import REPO_ROOT, free_port, tool_env

from mmcpsp.apis import (
    AVFeatureExtractor,
    init_localizer,
    localize_inputs,
    read_file_inputs,
)
from mmcpsp.testing import random_image, write_test_video

gradio = pytest.importorskip('gradio')
gradio_client = pytest.importorskip('gradio_client')
PNG = b'\x89PNG\r\n\x1a\n'


def load_script(name: str, path: str):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


webui = load_script('webui', 'demo/webui.py')
screenshot_tool = load_script('webui_screenshot',
                              'tools/misc/webui_screenshot.py')
needs_browser = pytest.mark.skipif(
    not osp.exists(screenshot_tool.CHROMIUM)
    or importlib.util.find_spec('playwright') is None,
    reason='needs Debian\'s chromium and the playwright package')


@pytest.fixture(scope='module')
def model(trained_checkpoint):
    return init_localizer(None, trained_checkpoint)


@pytest.fixture(scope='module')
def extractor(random_extractor_weights):
    return AVFeatureExtractor(*random_extractor_weights,
                              frames_per_segment=1)


@pytest.fixture(scope='module')
def work_dir(tmp_path_factory) -> str:
    """The one temporary folder of the apps of this module (Gradio reads
    it from the environment of the process)."""
    return str(tmp_path_factory.mktemp('webui'))


@pytest.fixture(scope='module')
def server(model, extractor, work_dir, trained_checkpoint):
    """The page on a free local port, 2 requests at once, 5 MB uploads."""
    app = webui.build_app(model, work_dir, extractor, trained_checkpoint,
                          concurrency=2)
    args = webui.parse_args([
        trained_checkpoint, '--port', str(free_port()), '--max-file-size',
        '5mb'
    ])
    app.launch(prevent_thread_lock=True, quiet=True,
               **webui.launch_kwargs(args))
    yield f'http://127.0.0.1:{args.port}/'
    app.close()


@pytest.fixture
def client(server):
    return gradio_client.Client(server, verbose=False,
                                download_files=False)


def localize(client, path):
    """The timeline's URL and the JSON dict of /localize."""
    timeline, data = client.predict(
        gradio_client.handle_file(path), api_name='/localize')
    return timeline, data


def expected_dict(model, path) -> dict:
    return localize_inputs(model, read_file_inputs(model, path)).to_dict()


def features_file(path, num_segments: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    np.savez(path, audio=rng.random((num_segments, 128), np.float32),
             visual=rng.random((num_segments, 7, 7, 512), np.float32))
    return str(path)


def test_features_file_equals_demo_avel(client, stitched_features,
                                        trained_checkpoint, tmp_path,
                                        monkeypatch):
    path, _ = stitched_features
    timeline, data = localize(client, path)
    out_dir = tmp_path / 'demo'
    monkeypatch.setattr(sys, 'argv', [
        'demo_avel.py', path, osp.join(REPO_ROOT, 'configs',
                                       'cpsp_fully_ave.py'),
        trained_checkpoint, '--out-dir', str(out_dir)
    ])
    runpy.run_path(osp.join(REPO_ROOT, 'demo', 'demo_avel.py'),
                   run_name='__main__')
    with open(out_dir / 'stitched.json') as file:
        assert data == json.load(file)
    assert len(data['segments']) == 25
    image = httpx.get(timeline['url']).content
    assert image == (out_dir / 'stitched.png').read_bytes()


def test_text_file_named_mp4_is_one_error_and_the_server_goes_on(
        client, stitched_features, tmp_path):
    path = tmp_path / 'text.mp4'
    path.write_text('not a video\n')
    with pytest.raises(gradio_client.exceptions.AppError) as info:
        localize(client, str(path))
    message = str(info.value)
    assert message.startswith('text.mp4: expected a video that FFmpeg '
                              'decodes')
    assert 'Traceback' not in message and '/' not in message
    (tmp_path / 'bad.npz').write_text('not an archive\n')
    with pytest.raises(gradio_client.exceptions.AppError,
                       match='^bad.npz: not an .npz archive'):
        localize(client, str(tmp_path / 'bad.npz'))
    np.save(tmp_path / 'audio.npy', np.zeros((3, 128), np.float32))
    with pytest.raises(gradio_client.exceptions.AppError,
                       match='^audio.npy: a .npy file holds one input'):
        localize(client, str(tmp_path / 'audio.npy'))
    _, data = localize(client, stitched_features[0])
    assert len(data['segments']) == 25


def test_upload_over_max_file_size_is_refused(server, client, tmp_path):
    big = tmp_path / 'big.npz'
    big.write_bytes(bytes(6 * 1024 * 1024))
    with open(big, 'rb') as file:
        response = httpx.post(server + 'gradio_api/upload',
                              files={'files': ('big.npz', file)})
    assert response.status_code == 413
    with pytest.raises(ValueError, match='exceeds the maximum file size'):
        localize(client, str(big))
    path = features_file(tmp_path / 'small.npz', 4, seed=0)
    assert len(localize(client, path)[1]['segments']) == 4


def test_no_input_names_a_server_path(server, work_dir):
    response = httpx.post(
        server + 'gradio_api/call/localize',
        json=dict(data=[dict(path=osp.join(REPO_ROOT, 'README.md'),
                             meta={'_type': 'gradio.FileData'}), 10, None]))
    event_id = response.json()['event_id']
    events = httpx.get(server + f'gradio_api/call/localize/{event_id}').text
    assert 'event: error' in events and 'README' not in events
    for path in (osp.join(REPO_ROOT, 'README.md'), '/etc/passwd'):
        assert httpx.get(server + 'gradio_api/file=' +
                         path).status_code == 403


def test_four_concurrent_requests(server, model, tmp_path):
    paths = [
        features_file(tmp_path / f'clip{seconds}.npz', seconds, seed)
        for seed, seconds in enumerate((25, 7, 12, 3))
    ]

    def request(path):
        client = gradio_client.Client(server, verbose=False,
                                      download_files=False)
        return localize(client, path)[1]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(request, paths))
    assert answers == [expected_dict(model, path) for path in paths]


def test_video_page_details(model, extractor, work_dir, tmp_path):
    """What the page shows of a video: the timeline, the tables of the
    JSON, the attention pages, the JSON file; progress by stage."""
    video = str(tmp_path / 'clip.mp4')
    write_test_video(video, [random_image(s) for s in range(12)],
                     tones=[440 + 110 * (s % 3) for s in range(12)])
    page = webui.PageLocalizer(model, extractor, work_dir)
    calls = []
    timeline, data, details = page.localize(
        video, 10, None, lambda *args, **kwargs: calls.append(
            (args, kwargs)))
    assert open(timeline, 'rb').read(8) == PNG
    assert [osp.basename(path) for path in details['attention']] == [
        'clip_attention.png'
    ]
    with open(details['json']) as file:
        assert json.load(file) == data
    assert [kwargs['desc'] for _, kwargs in calls] == [
        'decoding', 'decoding', 'extracting features', 'extracting features',
        'windows', 'windows'
    ]
    headers, rows = webui.segment_table(data)
    assert headers == ['start', 'end', 'label', 'event probability']
    assert rows[3] == [3.0, 4.0, data['segments'][3]['label'],
                       data['segments'][3]['event_score']]
    headers, rows = webui.event_table(data)
    assert headers == ['start', 'end', 'label', 'score']
    assert len(rows) == len(data['events'])


def test_parsing_tables():
    data = dict(
        segments=[dict(start=0.0, end=1.0, audio=['Speech', 'Dog'],
                       visual=[], audio_visual=['Dog'])],
        audio_events=[dict(start=0.0, end=1.0, label='Dog', score=0.9)],
        visual_events=[],
        audio_visual_events=[dict(start=0.0, end=1.0, label='Dog',
                                  score=0.8)])
    assert webui.segment_table(data) == (
        ['start', 'end', 'audio', 'visual', 'audio-visual'],
        [[0.0, 1.0, 'Speech, Dog', '', 'Dog']])
    assert webui.event_table(data) == (
        ['modality', 'start', 'end', 'label', 'score'],
        [['audio', 0.0, 1.0, 'Dog', 0.9],
         ['audio-visual', 0.0, 1.0, 'Dog', 0.8]])


def test_raw_video_model_needs_no_extractor(work_dir, tmp_path):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs',
                                   'cpsp_fully_ave_rawvideo.py'))
    cfg.test_dataloader.dataset.pipeline[0].frames_per_segment = 1
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random weights, generic names
        raw_model = init_localizer(cfg)
    assert webui.video_refusal(raw_model, None) is None
    assert 'cannot be read' not in webui._model_note(raw_model, 'raw.pth',
                                                     None)
    video = str(tmp_path / 'five.mp4')
    write_test_video(video, [random_image(s) for s in range(5)],
                     tones=[440, 0, 880, 880, 0])
    page = webui.PageLocalizer(raw_model, None, work_dir)
    _, data, details = page.localize(video, 10, None,
                                     lambda *args, **kwargs: None)
    assert len(data['segments']) == 5
    assert len(details['attention']) == 1


def test_video_parsing_model(work_dir, tmp_path):
    """An AVVP model: its features file through the same page, the tables
    of its result; videos refused with one line naming the weights of
    LLP's extractors, which were not given."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random weights, generic names
        parsing_model = init_localizer('configs/cpsp_avvp_llp.py')
    rng = np.random.default_rng(0)
    path = str(tmp_path / 'llp.npz')
    np.savez(path, audio=rng.random((12, 128), np.float32),
             visual=rng.random((96, 2048), np.float32),
             visual_st=rng.random((12, 512), np.float32))
    page = webui.PageLocalizer(parsing_model, None, work_dir)
    timeline, data, details = page.localize(path, 10, None,
                                            lambda *args, **kwargs: None)
    assert data == expected_dict(parsing_model, path)
    assert open(timeline, 'rb').read(8) == PNG
    assert details['attention'] == []
    assert webui.segment_table(data)[0] == [
        'start', 'end', 'audio', 'visual', 'audio-visual'
    ]
    assert len(webui.segment_table(data)[1]) == 12
    assert webui.event_table(data)[0][0] == 'modality'
    (tmp_path / 'clip.mp4').write_bytes(b'')
    with pytest.raises(gradio.Error,
                       match=r'clip.mp4: A video input to this model '
                       r'needs --audio-weights \(VGGish\), --res152-weights'):
        page.localize(str(tmp_path / 'clip.mp4'), 10, None, None)


def test_page_says_videos_need_the_extractor_weights(model, work_dir):
    app = webui.build_app(model, work_dir)
    texts = [component['props'].get('value') or ''
             for component in app.config['components']
             if component['type'] == 'markdown']
    assert any('Videos cannot be read here' in text
               and '--audio-weights' in text for text in texts)


def _listening_addresses(port: int) -> set:
    """Local addresses listening on ``port`` (Linux's /proc/net/tcp)."""
    addresses = set()
    with open('/proc/net/tcp') as file:
        for line in file.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(':')
            if int(local_port, 16) == port and state == '0A':
                addresses.add('.'.join(
                    str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return addresses


def test_defaults_stay_on_this_machine():
    kwargs = webui.launch_kwargs(webui.parse_args(['model.pth']))
    assert kwargs['server_name'] == '127.0.0.1'
    assert kwargs['server_port'] == 7860
    assert kwargs['max_file_size'] == '200mb'
    assert kwargs['share'] is False and kwargs['mcp_server'] is False


@pytest.mark.slow
@pytest.mark.skipif(not osp.exists('/proc/net/tcp'), reason='Linux only')
def test_command_line_listens_on_localhost_and_cleans_up(
        trained_checkpoint, tmp_path):
    port = free_port()
    env = tool_env(TMPDIR=str(tmp_path))
    process = subprocess.Popen(
        [sys.executable, 'demo/webui.py', trained_checkpoint, '--port',
         str(port), '--max-file-size', '10kb'],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        url = f'http://127.0.0.1:{port}/'
        while process.poll() is None:
            try:
                if httpx.get(url).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert _listening_addresses(port) == {'127.0.0.1'}
        (work_dir, ) = [path for path in tmp_path.iterdir()
                        if path.name.startswith('mmcpsp-webui-')]
        response = httpx.post(url + 'gradio_api/upload',
                              files={'files': ('big.npz', bytes(20000))})
        assert response.status_code == 413
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output[-3000:]
    assert not work_dir.exists()
    assert os.listdir(tmp_path) == []


def browser_upload_error(url: str, path: str) -> tuple:
    """The error the page shows when ``path`` is chosen for upload, and
    the uploads the page posted."""
    from playwright.sync_api import sync_playwright
    posted = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=screenshot_tool.CHROMIUM, headless=True,
            args=['--no-sandbox'])
        try:
            page = browser.new_page()
            page.on('request', lambda request: posted.append(request.url)
                    if request.method == 'POST'
                    and request.url.split('?')[0].endswith('/upload')
                    else None)
            page.goto(url)
            page.set_input_files('#upload input[type=file]', path)
            toast = page.locator(screenshot_tool.ERROR).first
            toast.wait_for(timeout=60_000)
            return toast.inner_text(), posted
        finally:
            browser.close()


@pytest.mark.slow
@needs_browser
def test_page_in_a_browser(model, extractor, work_dir, tmp_path):
    """Headless Chromium opens the page, uploads a generated video, presses
    Localize and finds the timeline, the tables and the attention."""
    video = str(tmp_path / 'clip.mp4')
    write_test_video(video, [random_image(s) for s in range(12)],
                     tones=[440 + 110 * (s % 3) for s in range(12)])
    big = tmp_path / 'big.mp4'
    big.write_bytes(bytes(2 * 1024 * 1024))
    with screenshot_tool.serve(model, extractor, work_dir, '1mb') as url:
        found = screenshot_tool.capture_page(url, video,
                                             str(tmp_path / 'page.png'))
        refusal, posted = browser_upload_error(url, str(big))
    # Refused by the page before it is sent.
    assert 'big.mp4' in refusal and 'exceed' in refusal.lower()
    assert posted == []
    assert found['event_columns'] == ['start', 'end', 'label', 'score']
    assert found['segment_rows'] >= 10  # the rows in view of the 12
    assert found['attention_images'] >= 1
    assert (tmp_path / 'page.png').read_bytes()[:8] == PNG


@pytest.mark.slow
@needs_browser
def test_screenshot_of_features_under_200_kb(model, work_dir,
                                             stitched_features, tmp_path):
    with screenshot_tool.serve(model, None, work_dir) as url:
        found = screenshot_tool.capture_page(url, stitched_features[0],
                                             str(tmp_path / 'page.png'))
    assert found['segment_rows'] >= 10 and found['attention_images'] == 0
    size = screenshot_tool.compress_png(str(tmp_path / 'page.png'),
                                        str(tmp_path / 'small.png'))
    assert size == osp.getsize(tmp_path / 'small.png') <= 200_000
