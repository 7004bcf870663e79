"""torchvision's PIL resize and crop, without torchvision.

The LLP features were computed with ``torchvision.transforms`` on PIL
images (HAN's ``scripts/``; torchvision 0.x). These functions do on a PIL
image exactly what ``Resize`` and ``CenterCrop`` did there: the same
output sizes, the same crop offsets and the same PIL call (bilinear), so
the pixels are PIL's, bit for bit.
"""
from typing import Tuple

import numpy as np
from PIL import Image


def resize_shorter_side(image: Image.Image, size: int) -> Image.Image:
    """``transforms.Resize(size)`` with an int: the shorter side becomes
    ``size``, the other ``int(size * long / short)`` (truncated); an image
    whose shorter side is already ``size`` is returned as it is."""
    width, height = image.size
    if min(width, height) == size:
        return image
    if width < height:
        new_size = (size, int(size * height / width))
    else:
        new_size = (int(size * width / height), size)
    return image.resize(new_size, Image.BILINEAR)


def resize_exact(image: Image.Image, size: Tuple[int, int]) -> Image.Image:
    """``transforms.Resize((height, width))``: both sides, aspect ratio not
    kept. ``size`` is (width, height), as PIL takes it."""
    return image.resize(tuple(size), Image.BILINEAR)


def center_crop(image: Image.Image, size: int) -> Image.Image:
    """``transforms.CenterCrop(size)``: offsets ``round((side - size) / 2)``
    (Python's rounding, half to even)."""
    width, height = image.size
    top = int(round((height - size) / 2.0))
    left = int(round((width - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def to_array(image: Image.Image) -> np.ndarray:
    """uint8 [H, W, 3], RGB."""
    return np.asarray(image.convert('RGB'), dtype=np.uint8)
