from .avel_localizer import AVELLocalizer

__all__ = ['AVELLocalizer']
