from .formatting import PackAVELInputs

__all__ = ['PackAVELInputs']
