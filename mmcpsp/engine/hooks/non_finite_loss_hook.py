from typing import Dict, List, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from mmcpsp.registry import HOOKS


class NonFiniteLossError(FloatingPointError):
    """Training met a loss that is NaN or infinite."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first iteration whose loss is not finite.

    After each training iteration, every loss term of the model's output
    (the keys containing ``'loss'``, as MMEngine sums them) is checked. If
    one is NaN or infinite, a :class:`NonFiniteLossError` names the
    iteration and the terms, before the checkpoint hook runs, so no
    checkpoint is written from the broken weights and the last one written
    stays the one ``--resume`` continues from. In a distributed run the
    ranks agree on the terms (one small all-reduce per iteration), so every
    rank stops at the same iteration with the same message.

    Args:
        enabled (bool): Check the loss. ``False`` turns the hook off, e.g.
            ``--cfg-options default_hooks.non_finite_loss.enabled=False``.
            Defaults to True.
    """

    # Above the logger and the checkpoint hook (both lower), so neither runs
    # on the iteration that failed.
    priority = 'ABOVE_NORMAL'

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[Dict[str, torch.Tensor]] = None
                         ) -> None:
        if not self.enabled or not outputs:
            return
        terms = {
            name: value.detach()
            for name, value in outputs.items()
            if 'loss' in name and isinstance(value, torch.Tensor)
        }
        if not terms:
            return
        not_finite = torch.stack(
            [~torch.isfinite(value).all() for value in terms.values()])
        if get_world_size() > 1:
            not_finite = not_finite.int()
            all_reduce(not_finite, op='max')
        flags: List[bool] = [bool(flag) for flag in not_finite.tolist()]
        if not any(flags):
            return
        bad = [name for name, flag in zip(terms, flags) if flag]
        if len(bad) > 1 and 'loss' in bad:
            bad.remove('loss')  # the sum of the others: named when alone
        bad_terms = ', '.join(_describe(name, terms[name]) for name in bad)
        last_ckpt = runner.message_hub.get_info('last_ckpt')
        kept = (f'the last checkpoint is {last_ckpt}' if last_ckpt else
                'no checkpoint had been written yet')
        raise NonFiniteLossError(
            f'the loss is not finite at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}, iteration {batch_idx + 1} of the epoch): '
            f'{bad_terms}. Training stopped there; {kept}.')


def _describe(name: str, value: torch.Tensor) -> str:
    if torch.isfinite(value).all():
        return f'{name} (not finite on another rank)'
    shown = value.item() if value.numel() == 1 else 'non-finite elements'
    return f'{name}={shown}'
