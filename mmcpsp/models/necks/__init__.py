from .psp_neck import PSPNeck, prune_and_normalize, row_normalize

__all__ = ['PSPNeck', 'prune_and_normalize', 'row_normalize']
