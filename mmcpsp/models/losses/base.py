from mmaction.models.losses import BaseWeightedLoss

from ..utils.precision import float32_region


class WeightedLoss(BaseWeightedLoss):
    """Base class of mmcpsp's losses: MMAction2's ``BaseWeightedLoss``.

    Subclasses implement ``_forward``; ``forward`` multiplies its result by
    ``loss_weight``. Under mixed precision every loss runs in float32 (the
    ``losses`` region of :mod:`mmcpsp.models.utils.precision`).
    """

    @float32_region('losses')
    def forward(self, *args, **kwargs):
        """The weighted loss (see ``BaseWeightedLoss.forward``)."""
        return super().forward(*args, **kwargs)
