"""A screenshot of the web page (demo/webui.py) localizing one file.

Serves the page on a free local port, opens it in a headless Chromium (the
system's own, driven by Playwright; no browser is downloaded), uploads the
file, presses Localize, waits for the timeline and the events table, and
saves the page as a PNG compressed to a size limit.

Example::

    python tools/misc/webui_screenshot.py CHECKPOINT clip.npz \\
        --out docs/imgs/webui.png
"""
import argparse
import io
import os.path as osp
import socket
import sys
import tempfile
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp.apis import AVFeatureExtractor, init_localizer  # noqa: E402

#: Debian's package (apt-get install chromium).
CHROMIUM = '/usr/bin/chromium'
#: Width and height of the browser window, CSS pixels.
VIEWPORT = dict(width=1100, height=900)
#: Gradio's error toast, and a row of its tables (drawn rows only: the
#: tables draw the rows in view).
ERROR = '[data-testid="toast-body"]'
ROW = '[role="row"].virtual-row'
IMAGES_LOADED = '''() => {
    const images = Array.from(
        document.querySelectorAll('#timeline img, #attention img'));
    images.forEach(image => image.scrollIntoView());
    return images.length > 0 && images.every(
        image => image.complete && image.naturalWidth > 0);
}'''


def load_webui():
    """demo/webui.py as a module."""
    sys.path.insert(0, osp.join(REPO_ROOT, 'demo'))
    import webui
    return webui


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextmanager
def serve(model, extractor: Optional[AVFeatureExtractor], work_dir: str,
          max_file_size: str = '200mb',
          checkpoint: str = 'checkpoint.pth') -> Iterator[str]:
    """The page on a free port of 127.0.0.1, as its command line serves
    it (``checkpoint`` the name it shows); yields its URL."""
    webui = load_webui()
    app = webui.build_app(model, work_dir, extractor, checkpoint)
    args = webui.parse_args([
        'checkpoint.pth', '--port', str(free_port()), '--max-file-size',
        max_file_size
    ])
    app.launch(prevent_thread_lock=True, quiet=True,
               **webui.launch_kwargs(args))
    try:
        yield f'http://127.0.0.1:{args.port}/'
    finally:
        app.close()


def capture_page(url: str, upload: str, screenshot: str,
                 chromium: str = CHROMIUM,
                 timeout_s: float = 120) -> Dict[str, Any]:
    """Localize ``upload`` on the page at ``url`` and save a screenshot.

    Returns:
        dict: ``event_columns`` (the headers of the events table),
        ``event_rows`` and ``segment_rows`` (rows drawn in the two
        tables), ``attention_images`` (images in the attention gallery).

    Raises:
        RuntimeError: If the page shows an error instead of the timeline.
    """
    from playwright.sync_api import expect, sync_playwright
    timeout_ms = timeout_s * 1000
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox needs an unprivileged user.
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=['--no-sandbox'])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url, timeout=timeout_ms)
            page.set_input_files('#upload input[type=file]', upload,
                                 timeout=timeout_ms)
            # The upload is done when the file's name is listed.
            expect(page.locator('#upload')).to_contain_text(
                osp.splitext(osp.basename(upload))[0], timeout=timeout_ms)
            page.click('#localize', timeout=timeout_ms)
            page.wait_for_selector(f'#timeline img, {ERROR}',
                                   timeout=timeout_ms)
            if page.locator(ERROR).count():
                raise RuntimeError('The page shows an error: ' +
                                   page.locator(ERROR).first.inner_text())
            page.wait_for_selector(f'#segments {ROW}', timeout=timeout_ms)
            # The images load lazily: bring each one into view and wait.
            page.wait_for_function(IMAGES_LOADED, timeout=timeout_ms)
            page.evaluate('window.scrollTo(0, 0)')
            found = dict(
                event_columns=[
                    text.strip() for text in page.locator(
                        '#events thead th').all_inner_texts()
                ],
                event_rows=page.locator(f'#events {ROW}').count(),
                segment_rows=page.locator(f'#segments {ROW}').count(),
                attention_images=page.locator('#attention img').count())
            page.screenshot(path=screenshot, full_page=True)
        finally:
            browser.close()
    return found


def compress_png(path: str, out: str, max_bytes: int = 200_000) -> int:
    """Write ``path`` as a palette PNG under ``max_bytes``, halving the
    colours, then shrinking the image, until it fits; returns the size."""
    from PIL import Image
    image = Image.open(path).convert('RGB')
    colors = 128
    while True:
        buffer = io.BytesIO()
        image.quantize(colors).save(buffer, 'PNG', optimize=True)
        if buffer.tell() <= max_bytes:
            break
        if colors > 32:
            colors //= 2
        else:
            image = image.resize((image.width * 3 // 4,
                                  image.height * 3 // 4), Image.LANCZOS)
    with open(out, 'wb') as file:
        file.write(buffer.getvalue())
    return buffer.tell()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint')
    parser.add_argument('input', help='a video or an .npz features file')
    parser.add_argument('--config')
    parser.add_argument('--audio-weights')
    parser.add_argument('--visual-weights')
    parser.add_argument('--frames-per-segment', type=int, default=16)
    parser.add_argument('--out', default='docs/imgs/webui.png')
    parser.add_argument('--max-bytes', type=int, default=200_000)
    parser.add_argument('--chromium', default=CHROMIUM)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    model = init_localizer(args.config, args.checkpoint)
    extractor = None
    if args.audio_weights and args.visual_weights:
        extractor = AVFeatureExtractor(
            args.audio_weights, args.visual_weights,
            frames_per_segment=args.frames_per_segment)
    with tempfile.TemporaryDirectory(prefix='mmcpsp-webui-') as work_dir:
        with serve(model, extractor, work_dir,
                   checkpoint=args.checkpoint) as url:
            raw = osp.join(work_dir, 'screenshot.png')
            found = capture_page(url, args.input, raw, args.chromium)
        size = compress_png(raw, args.out, args.max_bytes)
    print(f'{args.out}: {size:,} bytes; {found}')


if __name__ == '__main__':
    main()
