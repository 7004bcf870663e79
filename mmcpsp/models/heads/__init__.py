from .cpsp_head import CPSPHead

__all__ = ['CPSPHead']
