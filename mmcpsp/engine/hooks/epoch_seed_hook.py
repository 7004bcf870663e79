from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import set_random_seed

from mmcpsp.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed python, numpy and torch at the start of every training epoch.

    MMEngine 0.10.7 stores no random-number state in checkpoints, and
    validation draws from the global generators, so the dropout of a resumed
    run would differ from that of an uninterrupted one. Deriving the state
    from the run seed and the epoch makes a resumed run bit-identical on CPU
    in deterministic mode.

    Args:
        seed (int, optional): Base seed. Defaults to None, meaning the seed
            of the runner (``randomness.seed``); without one the hook does
            nothing.
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed

    def before_train_epoch(self, runner) -> None:
        seed = self.seed if self.seed is not None else runner.seed
        if seed is None:
            return
        set_random_seed(
            seed + runner.epoch,
            diff_rank_seed=runner._randomness_cfg.get('diff_rank_seed', False))
