from .han_neck import HANNeck
from .psp_mmil_neck import PSPMMILNeck
from .psp_neck import PSPNeck, prune_and_normalize, row_normalize

__all__ = [
    'HANNeck', 'PSPMMILNeck', 'PSPNeck', 'prune_and_normalize',
    'row_normalize'
]
