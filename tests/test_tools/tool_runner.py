"""Run the command-line tools of the repository as a user would."""
import json
import os
import socket
import subprocess
import sys
from typing import Dict, List, Optional

REPO_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CONFIG = 'configs/cpsp_fully_ave.py'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def tool_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    env.update(extra)
    return env


def small_run_options(data_root: str, max_epochs: int = 3) -> List[str]:
    """--cfg-options turning a published config into a seconds-long run."""
    options = [f'train_cfg.max_epochs={max_epochs}',
               'default_hooks.logger.interval=1']
    for split in ('train', 'val', 'test'):
        options += [
            f'{split}_dataloader.dataset.data_root={data_root}',
            f'{split}_dataloader.batch_size=8',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False',
        ]
    return options


def run_tool(args: List[str],
             timeout: int = 600,
             env: Optional[Dict[str, str]] = None,
             **popen_kwargs) -> subprocess.CompletedProcess:
    """Run a tool; ``popen_kwargs`` go to subprocess.run (e.g. umask)."""
    command = args if args[0] == 'bash' else [sys.executable, *args]
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env or tool_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen_kwargs)


def read_scalars(work_dir: str) -> List[dict]:
    """Every record of the run's vis_data/scalars.json, in order."""
    records = []
    for dirpath, _, filenames in sorted(os.walk(work_dir)):
        if dirpath.endswith('vis_data') and 'scalars.json' in filenames:
            with open(os.path.join(dirpath, 'scalars.json')) as f:
                records += [json.loads(line) for line in f if line.strip()]
    return records
