from .classes import LLP_CLASSES

__all__ = ['LLP_CLASSES']
