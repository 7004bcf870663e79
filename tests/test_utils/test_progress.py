import io
from unittest import TestCase

from mmcpsp.utils import Progress, format_rate, track


class TestProgress(TestCase):

    def test_quiet_when_not_a_terminal(self):
        stream = io.StringIO()
        items = list(track(range(5), 5, 'Verifying', 'videos', stream))
        self.assertEqual(items, list(range(5)))
        lines = stream.getvalue().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith('Verifying: 5 videos in '))
        self.assertIn('videos/s)', lines[0])

    def test_bar_on_a_terminal_shows_rate_and_eta(self):
        stream = io.StringIO()
        with Progress(4, 'Converting', 'videos', stream,
                      enabled=True) as progress:
            progress.update(2)
            progress.update(2)
        text = stream.getvalue()
        self.assertIn('4/4', text)
        self.assertIn('task/s', text)
        self.assertIn('ETA', text)
        self.assertTrue(text.rstrip().splitlines()[-1].startswith(
            'Converting: 4 videos in'))

    def test_no_summary_after_an_error(self):
        stream = io.StringIO()
        with self.assertRaises(KeyError):
            with Progress(3, 'Reading', stream=stream):
                raise KeyError('x')
        self.assertEqual(stream.getvalue(), '')

    def test_silent(self):
        stream = io.StringIO()
        with Progress(2, 'Reading', stream=stream, enabled=False,
                      summary=False) as progress:
            progress.update(2)
        self.assertEqual(stream.getvalue(), '')

    def test_format_rate(self):
        self.assertEqual(format_rate(1234, 2.0, 'videos'),
                         '1,234 videos in 2.0 s (617.0 videos/s)')
        # Slow work (feature extraction on a CPU): seconds per item.
        self.assertEqual(format_rate(2, 172.6, 'videos'),
                         '2 videos in 172.6 s (86.3 s each)')

    def test_status_for_tools_with_their_own_output(self):
        progress = Progress(3, 'Seeds', 'runs', io.StringIO(), enabled=False)
        progress.update()
        status = progress.status()
        self.assertTrue(status.startswith('1/3 runs, '), status)
        self.assertIn('ETA', status)
        progress.update(2)
        self.assertNotIn('ETA', progress.status())
