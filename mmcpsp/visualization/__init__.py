from .optional_tensorboard import OptionalTensorboardVisBackend

__all__ = ['OptionalTensorboardVisBackend']
