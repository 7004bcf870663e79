from .base import BaseAVELHead, BaseSegmentHead, NeckOutputs
from .cpsp_head import CPSPHead
from .mmil_head import MMILHead
from .psp_cvpr21_head import PSPCVPR21Head

__all__ = [
    'BaseAVELHead', 'BaseSegmentHead', 'CPSPHead', 'MMILHead', 'NeckOutputs',
    'PSPCVPR21Head'
]
