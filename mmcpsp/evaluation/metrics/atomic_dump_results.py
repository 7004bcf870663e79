from mmengine.evaluator import DumpResults
from mmengine.fileio import dump
from mmengine.logging import print_log

from mmcpsp.registry import METRICS
from mmcpsp.utils import atomic_write


@METRICS.register_module()
class AtomicDumpResults(DumpResults):
    """MMEngine's ``DumpResults``, with a file that is whole or absent.

    ``DumpResults`` writes the pickle in place, so a test killed, or a disk
    that fills, while it is written leaves a truncated file where the
    previous predictions were. Here it goes through
    :func:`mmcpsp.utils.atomic_write` (the mode a plain ``open`` gives).
    ``tools/test.py --dump`` uses it. Arguments are those of
    :class:`mmengine.evaluator.DumpResults`.
    """

    def compute_metrics(self, results: list) -> dict:
        """Dump the predictions to ``out_file_path``; no metrics."""
        with atomic_write(self.out_file_path, 'wb') as file:
            dump(results, file, file_format='pkl')
        print_log(f'Results have been saved to {self.out_file_path}.',
                  logger='current')
        return {}
