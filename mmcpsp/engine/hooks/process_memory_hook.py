import json
import os
from typing import Optional

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmcpsp.registry import HOOKS
from mmcpsp.utils.process_memory import tree_memory_kib


@HOOKS.register_module()
class ProcessMemoryHook(Hook):
    """Record the memory of the process tree after every training epoch.

    The tree is this process and its descendants (DataLoader workers), read
    from /proc (Linux): RSS summed over the processes (pages shared between
    them count once per process) and PSS (a page shared by k processes
    counts 1/k in each). Runs after the checkpoint hook, so the epoch's
    save is included; the validation of an epoch shows in the next epoch's
    row. Each rank logs its own line; with ``out_file`` rank 0 also appends
    one JSON line per epoch to it (``tools/analysis_tools/benchmark_memory.py
    --soak-epochs`` reads them).

    Args:
        out_file (str, optional): JSON-lines file to append to. Defaults to
            None (the log only).
    """

    priority = 'LOWEST'

    def __init__(self, out_file: Optional[str] = None) -> None:
        self.out_file = out_file

    def after_train_epoch(self, runner) -> None:
        memory = tree_memory_kib(os.getpid())
        row = dict(
            epoch=runner.epoch + 1,
            rss_mib=round(memory['Rss'] / 1024, 1),
            pss_mib=round(memory['Pss'] / 1024, 1),
            processes=memory['processes'])
        runner.logger.info(
            f'Memory of the process tree after epoch {row["epoch"]}: RSS '
            f'{row["rss_mib"]:.1f} MiB, PSS {row["pss_mib"]:.1f} MiB '
            f'({row["processes"]} process'
            f'{"es" if row["processes"] != 1 else ""})')
        if self.out_file is not None and get_rank() == 0:
            with open(self.out_file, 'a') as file:
                file.write(json.dumps(row) + '\n')
