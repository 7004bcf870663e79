import os
import os.path as osp
import tempfile

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmcpsp.registry import HOOKS


def write_text_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or new file."""
    directory = osp.dirname(osp.abspath(path))
    fd, tmp_path = tempfile.mkstemp(dir=directory, suffix='.tmp')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_path, path)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """A ``CheckpointHook`` that survives being killed at any moment.

    MMEngine's hook deletes the oldest checkpoint before writing the new one
    and rewrites ``last_checkpoint`` in place, so a process killed in between
    leaves ``--resume auto`` pointing at a missing or truncated file. Here the
    new checkpoint is written first (atomically, see
    :func:`mmcpsp.compat.make_local_writes_atomic`), then ``last_checkpoint``
    is replaced atomically, and only then are outdated checkpoints removed.
    Arguments are those of :class:`mmengine.hooks.CheckpointHook`.
    """

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
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
        write_text_atomically(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old_step in outdated:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
