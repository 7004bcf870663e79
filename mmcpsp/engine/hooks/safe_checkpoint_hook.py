import os
import os.path as osp
import re
from contextlib import contextmanager
from typing import Iterator, List, Optional

from mmengine.dist import is_main_process, master_only
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from mmcpsp.engine.atomic_local_backend import ATOMIC_LOCAL_BACKEND
from mmcpsp.registry import HOOKS
from mmcpsp.utils import atomic_write
from mmcpsp.utils.checkpoint import CheckpointError
from mmcpsp.utils.published_checkpoint import (
    save_published,
    strip_for_publishing,
)

# The temporary files of mmcpsp.utils.atomic_path for checkpoints and
# last_checkpoint: ".epoch_3.pth.k2j4_x9a.tmp".
_UNFINISHED_WRITE = re.compile(
    r'^\.(?:.+\.pth|last_checkpoint)\.[a-z0-9_]{8}\.tmp$')


class _DeferredRemovals:
    """A file backend whose removals are recorded, to be done later."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.paths: List[str] = []

    def remove(self, path: str) -> None:
        self.paths.append(path)

    def rmtree(self, path: str) -> None:
        self.paths.append(path)

    def __getattr__(self, name: str):
        return getattr(self.backend, name)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """A ``CheckpointHook`` that survives being killed or a failing disk.

    MMEngine's hook deletes the oldest checkpoint (and the previous best)
    before writing the new one, writes files in place and rewrites
    ``last_checkpoint`` in place, so a process killed, or a disk that fills,
    in between leaves ``--resume auto`` pointing at a missing or truncated
    file. Here checkpoints in a local folder are written through the
    ``'atomic_local'`` file backend
    (:class:`~mmcpsp.engine.AtomicLocalBackend`: whole or absent, with the
    mode a plain ``open`` gives), then ``last_checkpoint`` is replaced
    atomically, and only then are outdated checkpoints removed. A write that
    fails stops training with a :class:`CheckpointError` naming the file and
    the checkpoint kept. Temporary files left by a process killed during a
    save (SIGKILL cannot be caught) are removed when training starts again.
    With ``published_keys``, the files published after training
    (``epoch_N-XXXXXXXX.pth``) go through the same backend, and their name
    carries the SHA-256 of the file itself (MMEngine hashes the pickle
    before saving, which no one holding the file can check), as
    ``tools/model_converters/publish_model.py`` writes them.
    Arguments are those of
    :class:`mmengine.hooks.CheckpointHook`; an explicit ``backend_args`` (a
    remote store, say) is used as given. ``rule`` also takes
    ``'greater_equal'`` (a tie replaces the best checkpoint with the later
    epoch, as HAN's release selects).
    """

    rule_map = {**CheckpointHook.rule_map,
                'greater_equal': lambda x, y: x >= y}
    init_value_map = {**CheckpointHook.init_value_map,
                      'greater_equal': -float('inf')}

    def before_train(self, runner) -> None:
        out_dir = self.out_dir if self.out_dir is not None else runner.work_dir
        local = (self.backend_args is None and self.file_client_args is None
                 and '://' not in str(out_dir))
        if local:
            self.backend_args = dict(backend=ATOMIC_LOCAL_BACKEND)
        super().before_train(runner)  # sets the final self.out_dir
        if local and is_main_process():
            self._remove_unfinished_writes(runner)

    def _remove_unfinished_writes(self, runner) -> None:
        for folder in {str(self.out_dir), runner.work_dir}:
            if not osp.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                if _UNFINISHED_WRITE.match(name):
                    os.remove(osp.join(folder, name))
                    runner.logger.info(
                        f'Removed {name}, a checkpoint write that did not '
                        'finish.')

    @contextmanager
    def _stop_on_write_error(self, path: Optional[str],
                             kept: Optional[str]) -> Iterator[None]:
        """Turn a failed write into one message; ``path`` None: the best."""
        try:
            yield
        except OSError as error:
            # MMEngine names the new best file just before writing it.
            path = path or getattr(self, 'best_ckpt_path', None)
            reason = error.strerror or str(error)
            kept_text = (f'{kept} is intact and last_checkpoint points at it'
                         if kept else 'no earlier checkpoint exists')
            raise CheckpointError(
                f'could not write {path} ({reason}); training stopped. '
                f'{kept_text}.') from error

    @master_only
    def _publish_model(self, runner, ckpt_path: str) -> None:
        """Save ``ckpt_path`` with ``published_keys`` alone, hash-named."""
        checkpoint = CheckpointLoader.load_checkpoint(
            ckpt_path, map_location='cpu')
        published, removed = strip_for_publishing(checkpoint,
                                                  self.published_keys)
        if removed:
            print_log(
                f'Key {removed} will be removed because they are not found '
                'in published_keys. If you want to keep them, please set '
                f'`{removed}` in published_keys', logger='current')
        try:
            final_path = save_published(
                published, osp.splitext(ckpt_path)[0] + '.pth',
                self.file_backend)
        except OSError as error:
            raise CheckpointError(
                f'could not publish {ckpt_path} ({error.strerror or error}); '
                'it is intact, and no published file was left.') from error
        print_log(
            f'The checkpoint ({ckpt_path}) is published to {final_path}.',
            logger='current')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        kept = self.last_ckpt
        outdated = []
        if self.max_keep_ckpts > 0 and (not self.keep_ckpt_ids
                                        or self.keep_ckpt_ids[-1] != step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        with self._stop_on_write_error(self.last_ckpt, kept):
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        if not is_main_process():
            return
        last_checkpoint = osp.join(runner.work_dir, 'last_checkpoint')
        with self._stop_on_write_error(last_checkpoint, kept):
            with atomic_write(last_checkpoint, 'w') as file:
                file.write(self.last_ckpt)
        for old_step in outdated:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """Save a new best checkpoint before removing the previous best."""
        backend = self.file_backend
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            with self._stop_on_write_error(None, self.last_ckpt):
                super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        current = {
            self.last_ckpt,
            getattr(self, 'best_ckpt_path', None),
            *getattr(self, 'best_ckpt_path_dict', {}).values()
        }
        for path in deferred.paths:
            if path in current:
                continue
            if backend.isfile(path):
                backend.remove(path)
            elif backend.isdir(path):
                backend.rmtree(path)
