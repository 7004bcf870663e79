from .videos import (
    ENCODINGS,
    random_image,
    solid_image,
    tone,
    write_test_video,
)

__all__ = [
    'ENCODINGS', 'random_image', 'solid_image', 'tone', 'write_test_video'
]
