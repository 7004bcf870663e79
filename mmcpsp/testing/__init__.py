from .ave_videos import SPLIT_FILES, write_ave_videos
from .videos import (
    ENCODINGS,
    random_image,
    solid_image,
    tone,
    write_test_video,
)

__all__ = [
    'ENCODINGS', 'SPLIT_FILES', 'random_image', 'solid_image', 'tone',
    'write_ave_videos', 'write_test_video'
]
