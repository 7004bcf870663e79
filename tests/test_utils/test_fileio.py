import os
import stat
import subprocess
import sys
from unittest import TestCase

import pytest

from mmcpsp.utils import atomic_path, atomic_write, current_umask


class TestAtomicWrite(TestCase):

    def setUp(self) -> None:
        import tempfile
        self.tmp = tempfile.mkdtemp()
        self.path = os.path.join(self.tmp, 'out.bin')

    def test_writes_and_honours_umask(self):
        old = os.umask(0o022)
        try:
            with atomic_write(self.path) as file:
                file.write(b'new')
        finally:
            os.umask(old)
        with open(self.path, 'rb') as file:
            self.assertEqual(file.read(), b'new')
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o644)
        self.assertEqual(os.listdir(self.tmp), ['out.bin'])

    def test_other_umask(self):
        old = os.umask(0o077)
        try:
            self.assertEqual(current_umask(), 0o077)
            with atomic_write(self.path, 'w') as file:
                file.write('text')
        finally:
            os.umask(old)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)

    def test_failure_keeps_old_file_and_leaves_no_temporary(self):
        with open(self.path, 'wb') as file:
            file.write(b'old')
        with pytest.raises(RuntimeError):
            with atomic_write(self.path) as file:
                file.write(b'half')
                raise RuntimeError('disk full')
        with open(self.path, 'rb') as file:
            self.assertEqual(file.read(), b'old')
        self.assertEqual(os.listdir(self.tmp), ['out.bin'])

    def test_atomic_path_for_libraries_that_open_by_name(self):
        with atomic_path(self.path) as tmp_path:
            self.assertTrue(os.path.basename(tmp_path).startswith('.out.bin'))
            self.assertFalse(os.path.exists(self.path))
            with open(tmp_path, 'wb') as file:
                file.write(b'x')
        self.assertEqual(os.listdir(self.tmp), ['out.bin'])

    def test_file_size_limit_mid_write(self):
        with open(self.path, 'wb') as file:
            file.write(b'old')
        script = (
            'import resource, signal, sys\n'
            'signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n'
            'resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n'
            'from mmcpsp.utils import atomic_write\n'
            'try:\n'
            '    with atomic_write(sys.argv[1]) as f:\n'
            '        f.write(b"x" * 100000)\n'
            'except OSError as e:\n'
            '    print("failed", e.errno)\n')
        result = subprocess.run([sys.executable, '-c', script, self.path],
                                capture_output=True, text=True)
        self.assertIn('failed', result.stdout, result.stderr)
        with open(self.path, 'rb') as file:
            self.assertEqual(file.read(), b'old')
        self.assertEqual(os.listdir(self.tmp), ['out.bin'])

    def test_rejects_read_mode(self):
        with pytest.raises(ValueError):
            with atomic_write(self.path, 'r'):
                pass
