from .cpsp_head import CPSPHead
from .psp_cvpr21_head import PSPCVPR21Head

__all__ = ['CPSPHead', 'PSPCVPR21Head']
