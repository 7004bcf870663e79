from .fileio import atomic_path, atomic_write, current_umask
from .progress import Progress, format_rate, track
from .setup_env import register_all_modules

__all__ = [
    'Progress', 'atomic_path', 'atomic_write', 'current_umask',
    'format_rate', 'register_all_modules', 'track'
]
