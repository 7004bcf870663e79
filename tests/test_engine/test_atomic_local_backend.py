"""The 'atomic_local' file backend used for checkpoints."""
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

from mmengine.fileio import get_file_backend

from mmcpsp.engine import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend


def backend() -> AtomicLocalBackend:
    return get_file_backend(backend_args=dict(backend=ATOMIC_LOCAL_BACKEND))


class TestAtomicLocalBackend:

    def test_registered_under_its_name(self):
        assert isinstance(backend(), AtomicLocalBackend)

    def test_put_replaces_target(self, tmp_path):
        target = tmp_path / 'sub' / 'file.bin'
        backend().put(b'first', str(target))
        backend().put(b'second', target)
        assert target.read_bytes() == b'second'
        assert sorted(p.name for p in target.parent.iterdir()) == ['file.bin']

    def test_put_text_and_umask(self, tmp_path):
        target = tmp_path / 'file.txt'
        old_umask = os.umask(0o027)
        try:
            backend().put_text('text', str(target))
        finally:
            os.umask(old_umask)
        assert target.read_text() == 'text'
        assert stat.S_IMODE(target.stat().st_mode) == 0o640

    def test_killed_writer_leaves_old_file_whole(self, tmp_path):
        target = tmp_path / 'ckpt.pth'
        target.write_bytes(b'old checkpoint')
        code = f'''
        import time
        import mmcpsp.utils.fileio as fileio
        from mmcpsp.engine import AtomicLocalBackend

        def slow_open(*args, **kwargs):
            f = open(*args, **kwargs)
            real_write = f.write
            def write(data):
                for start in range(0, len(data), 1 << 16):
                    real_write(data[start:start + (1 << 16)])
                    f.flush()
                    print('chunk', flush=True)
                    time.sleep(0.05)
            f.write = write
            return f

        fileio.open = slow_open
        AtomicLocalBackend().put(b'x' * (1 << 22), {str(target)!r})
        '''
        proc = subprocess.Popen([sys.executable, '-c', textwrap.dedent(code)],
                                stdout=subprocess.PIPE,
                                text=True)
        # Kill the writer once it is part-way through the new file.
        for _ in range(3):
            assert proc.stdout.readline().startswith('chunk')
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.1)
        assert target.read_bytes() == b'old checkpoint'
