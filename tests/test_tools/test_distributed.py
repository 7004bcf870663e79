"""tools/dist_train.sh and tools/dist_test.sh with two CPU processes (gloo)."""
import glob
import json
import os
import os.path as osp
import pickle
import signal
import subprocess
import threading
import time
from typing import List, Optional, Tuple

import pytest
from fault_injection import fault_config, fault_env
from tool_runner import (
    CONFIG,
    REPO_ROOT,
    free_port,
    read_scalars,
    run_tool,
    small_run_options,
    tool_env,
)

MAX_EPOCHS = 2
NUM_TEST_VIDEOS = 5  # tiny_ave_root: an odd split, so ranks get padding
# What "ends within a minute" allows, from the fault to the last process.
END_WITHIN_S = 60


def dist_train_args(work_dir: str, data_root: str, *extra: str,
                    config: str = CONFIG) -> List[str]:
    """Absolute paths, so that a :class:`Job` may run in another folder."""
    return [
        'bash',
        osp.join(REPO_ROOT, 'tools', 'dist_train.sh'),
        osp.join(REPO_ROOT, config), '2', '--work-dir', work_dir,
        '--deterministic', *extra, '--cfg-options',
        *small_run_options(data_root, MAX_EPOCHS)
    ]


class Job:
    """A launcher run whose output is read as it comes.

    The launcher starts a session of its own, so that whatever is left of
    it when the test ends (a hang being the failure looked for) is killed.
    It runs in ``cwd``: mmengine gathers results in ``./.dist_test``, which
    a rank ended during validation leaves behind.
    """

    def __init__(self, args: List[str], watch: str, cwd: str,
                 **env: str) -> None:
        self.watch = watch
        self.lines: List[str] = []
        self.found: Optional[str] = None
        self.found_at: Optional[float] = None
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            env=tool_env(PORT=str(free_port()), **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if self.found is None and line.startswith(self.watch):
                self.found, self.found_at = line.strip(), time.monotonic()

    def wait(self, timeout: float) -> Tuple[int, float]:
        """The exit status and when the launcher ended (monotonic)."""
        try:
            returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        ended_at = time.monotonic()
        self.reader.join(timeout=10)
        return returncode, ended_at

    @property
    def output(self) -> str:
        return ''.join(self.lines)

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def processes_below(pid: int) -> List[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as file:
                    parents[int(entry)] = int(
                        file.read().rsplit(')', 1)[1].split()[1])
            except OSError:
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def rank_of(pid: int) -> Optional[int]:
    try:
        with open(f'/proc/{pid}/environ', 'rb') as file:
            entries = file.read().split(b'\0')
    except OSError:
        return None
    for entry in entries:
        if entry.startswith(b'RANK='):
            return int(entry[5:])
    return None


def final_metrics(work_dir: str) -> dict:
    return [r for r in read_scalars(work_dir) if 'avel/segment_acc' in r][-1]


@pytest.fixture(scope='module')
def dist_trained(tiny_ave_root, tmp_path_factory) -> str:
    work_dir = str(tmp_path_factory.mktemp('dist_train'))
    result = run_tool(
        dist_train_args(work_dir, tiny_ave_root),
        env=tool_env(PORT=str(free_port())))
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def test_dist_train_trains_and_validates_on_two_processes(dist_trained):
    log = ''.join(
        open(path).read()
        for path in glob.glob(osp.join(dist_trained, '*', '*.log')))
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    # 40 training videos, 8 per batch on each of two ranks: 3 iterations.
    assert 'Epoch(train) [1][3/3]' in log
    # The configs preload: one copy per machine, mapped by both processes.
    assert ('Preloaded the train split of' in log
            and 'shared by the 2 processes of this machine' in log)
    metrics = [
        r for r in read_scalars(dist_trained) if 'avel/segment_acc' in r
    ]
    assert [r['step'] for r in metrics] == list(range(1, MAX_EPOCHS + 1))
    assert osp.isfile(osp.join(dist_trained, f'epoch_{MAX_EPOCHS}.pth'))


def test_dist_test_counts_every_video_once(dist_trained, tiny_ave_root,
                                           tmp_path):
    checkpoint = osp.join(dist_trained, f'epoch_{MAX_EPOCHS}.pth')
    options = ['--cfg-options', *small_run_options(tiny_ave_root)]
    dump = str(tmp_path / 'predictions.pkl')
    dist_metrics = str(tmp_path / 'dist.json')
    result = run_tool(
        [
            'bash', 'tools/dist_test.sh', CONFIG, checkpoint, '2',
            '--work-dir',
            str(tmp_path / 'dist'), '--dump', dump, '--metrics-out',
            dist_metrics, *options
        ],
        env=tool_env(PORT=str(free_port())))
    assert result.returncode == 0, result.stderr[-3000:]
    single_metrics = str(tmp_path / 'single.json')
    result = run_tool([
        'tools/test.py', CONFIG, checkpoint, '--work-dir',
        str(tmp_path / 'single'), '--metrics-out', single_metrics, *options
    ])
    assert result.returncode == 0, result.stderr[-3000:]

    with open(dump, 'rb') as f:
        predictions = pickle.load(f)
    sample_ids = [p['sample_idx'] for p in predictions]
    assert sorted(sample_ids) == list(range(NUM_TEST_VIDEOS))
    with open(dist_metrics) as f:
        distributed = json.load(f)
    with open(single_metrics) as f:
        single = json.load(f)
    assert distributed == pytest.approx(single)
    # The metric of the dumped predictions, computed here, agrees too.
    correct = sum(
        int((p['pred_segment_labels'] == p['gt_segment_labels']).sum())
        for p in predictions)
    total = sum(len(p['gt_segment_labels']) for p in predictions)
    assert distributed['avel/segment_acc'] == pytest.approx(
        100 * correct / total)


def test_data_error_on_one_rank_ends_the_job(tiny_ave_root, tmp_path):
    config = fault_config(
        str(tmp_path / 'fault.py'), osp.join(REPO_ROOT, CONFIG),
        dict(type='RaiseDataErrorHook', rank=1, iteration=2))
    job = Job(
        dist_train_args(str(tmp_path / 'work'), tiny_ave_root,
                        config=config), 'Data error', str(tmp_path),
        **fault_env())
    returncode, ended_at = job.wait(timeout=300)
    assert job.found == ('Data error (rank 1): injected.h5: sample of '
                         'iteration 2 on rank 1 is corrupt'), job.output[-3000:]
    assert ended_at - job.found_at < END_WITHIN_S
    assert returncode != 0
    assert job.output.count('Data error') == 1
    # Rank 0, waiting for rank 1 in a collective, has no traceback to show.
    assert '[rank0]: Traceback' not in job.output, job.output[-3000:]


@pytest.mark.slow
def test_sigkill_of_one_rank_then_resume_finishes_like_uninterrupted(
        dist_trained, tiny_ave_root, tmp_path):
    work_dir = str(tmp_path / 'killed')
    job = Job(dist_train_args(work_dir, tiny_ave_root), 'never', str(tmp_path))
    deadline = time.monotonic() + 300
    while not osp.exists(osp.join(work_dir, 'last_checkpoint')):
        if job.process.poll() is not None or time.monotonic() > deadline:
            job.kill()
            pytest.fail('no checkpoint: ' + job.output[-3000:])
        time.sleep(0.01)
    ranks = {rank_of(pid): pid for pid in processes_below(job.process.pid)}
    os.kill(ranks[1], signal.SIGKILL)
    killed_at = time.monotonic()
    returncode, ended_at = job.wait(timeout=END_WITHIN_S)
    assert ended_at - killed_at < END_WITHIN_S
    assert returncode != 0
    assert 'Signal 9 (SIGKILL)' in job.output
    assert not osp.exists(osp.join(work_dir, f'epoch_{MAX_EPOCHS}.pth'))

    result = run_tool(
        dist_train_args(work_dir, tiny_ave_root, '--resume'),
        env=tool_env(PORT=str(free_port())))
    assert result.returncode == 0, result.stderr[-3000:]
    expected, resumed = final_metrics(dist_trained), final_metrics(work_dir)
    assert resumed['step'] == expected['step'] == MAX_EPOCHS
    for key in ('avel/segment_acc', 'avel/event_acc', 'avel/background_acc'):
        assert resumed[key] == expected[key], key


@pytest.mark.slow
def test_a_hung_rank_ends_the_job_after_the_group_timeout(
        tiny_ave_root, tmp_path):
    timeout_s = 15
    config = fault_config(
        str(tmp_path / 'hang.py'), osp.join(REPO_ROOT, CONFIG),
        dict(type='HangHook', rank=1, iteration=2))
    args = dist_train_args(str(tmp_path / 'work'), tiny_ave_root,
                           config=config)
    job = Job(args + [f'env_cfg.dist_cfg.timeout={timeout_s}'],
              'Distributed error', str(tmp_path), **fault_env())
    returncode, ended_at = job.wait(timeout=300)
    assert job.found == (
        'Distributed error (rank 0): another rank did not join a collective '
        'within the process group timeout (env_cfg.dist_cfg.timeout); it is '
        'stuck or far slower.'), job.output[-3000:]
    assert ended_at - job.found_at < END_WITHIN_S
    assert returncode != 0


@pytest.mark.slow
def test_nan_loss_on_one_rank_stops_every_rank_there(tiny_ave_root, tmp_path):
    config = fault_config(
        str(tmp_path / 'nan.py'), osp.join(REPO_ROOT, CONFIG),
        dict(type='NaNLossHook', iteration=2, term='loss_cls', rank=1))
    job = Job(
        dist_train_args(str(tmp_path / 'work'), tiny_ave_root,
                        config=config), 'Training error', str(tmp_path),
        **fault_env())
    returncode, ended_at = job.wait(timeout=300)
    assert returncode != 0
    assert ended_at - job.found_at < END_WITHIN_S
    lines = sorted(line.strip() for line in job.lines
                   if line.startswith('Training error'))
    # Both ranks agree on the iteration and the term; rank 1 saw the value.
    assert lines[-1] == (
        'Training error (rank 1): the loss is not finite at iteration 2 '
        '(epoch 1, iteration 2 of the epoch): loss_cls=nan. Training '
        'stopped there; no checkpoint had been written yet.')
    if len(lines) == 2:  # unless torchrun ended rank 0 before it printed
        assert lines[0] == (
            'Training error (rank 0): the loss is not finite at iteration 2 '
            '(epoch 1, iteration 2 of the epoch): loss_cls (not finite on '
            'another rank). Training stopped there; no checkpoint had been '
            'written yet.')
