"""Weight files in the published layouts, with random values, for tests
and demos where the real files cannot be downloaded.

Each tensor is one random row (or value) broadcast to its shape (stride 0),
so a file of VGG-19's 548 MB layout takes a few hundred kB on disk; it
loads into the models like the real file.
"""
from typing import Dict, Tuple

import torch

#: Keys and shapes of the PyTorch VGGish port's vggish-10086976.pth.
VGGISH_SHAPES: Dict[str, Tuple[int, ...]] = {
    'features.0.weight': (64, 1, 3, 3), 'features.0.bias': (64, ),
    'features.3.weight': (128, 64, 3, 3), 'features.3.bias': (128, ),
    'features.6.weight': (256, 128, 3, 3), 'features.6.bias': (256, ),
    'features.8.weight': (256, 256, 3, 3), 'features.8.bias': (256, ),
    'features.11.weight': (512, 256, 3, 3), 'features.11.bias': (512, ),
    'features.13.weight': (512, 512, 3, 3), 'features.13.bias': (512, ),
    'embeddings.0.weight': (4096, 12288), 'embeddings.0.bias': (4096, ),
    'embeddings.2.weight': (4096, 4096), 'embeddings.2.bias': (4096, ),
    'embeddings.4.weight': (128, 4096), 'embeddings.4.bias': (128, ),
}
#: Convolutions of torchvision's vgg19: (index in ``features``, in, out).
_VGG19_CONVS = ((0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128),
                (10, 128, 256), (12, 256, 256), (14, 256, 256),
                (16, 256, 256), (19, 256, 512), (21, 512, 512),
                (23, 512, 512), (25, 512, 512), (28, 512, 512),
                (30, 512, 512), (32, 512, 512), (34, 512, 512))
#: Keys and shapes of the ``features`` of torchvision's vgg19-dcbb9e9d.pth.
VGG19_FEATURE_SHAPES: Dict[str, Tuple[int, ...]] = {}
for _index, _in, _out in _VGG19_CONVS:
    VGG19_FEATURE_SHAPES[f'features.{_index}.weight'] = (_out, _in, 3, 3)
    VGG19_FEATURE_SHAPES[f'features.{_index}.bias'] = (_out, )
#: Keys and shapes of its classifier (not used by the extractor).
VGG19_CLASSIFIER_SHAPES: Dict[str, Tuple[int, ...]] = {
    'classifier.0.weight': (4096, 25088), 'classifier.0.bias': (4096, ),
    'classifier.3.weight': (4096, 4096), 'classifier.3.bias': (4096, ),
    'classifier.6.weight': (1000, 4096), 'classifier.6.bias': (1000, ),
}


def compact_random_state_dict(shapes: Dict[str, Tuple[int, ...]],
                              seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random tensors of the given shapes stored as one broadcast row.

    Weights get a fan-in scaled row (He), biases small values, so that
    activations neither vanish nor explode through deep networks.
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in shapes.items():
        row_shape = (1, ) + tuple(shape[1:]) if len(shape) > 1 else shape
        fan_in = max(1, int(torch.tensor(shape[1:]).prod()))
        if len(shape) > 1:
            # One row for all outputs: its sum is what every output sees,
            # so scale by fan-in and keep it positive on average.
            row = torch.rand(row_shape, generator=generator) * 2 / fan_in
        else:
            row = torch.randn(row_shape, generator=generator) * 0.01
        state[key] = row.expand(shape)
    return state


def write_random_vggish(path: str, seed: int = 0) -> None:
    """A VGGish weight file in the port's layout, random values."""
    torch.save(compact_random_state_dict(VGGISH_SHAPES, seed), path)


def write_random_vgg19(path: str, seed: int = 0) -> None:
    """A VGG-19 weight file in torchvision's layout (classifier included),
    random values."""
    torch.save(
        compact_random_state_dict(
            {**VGG19_FEATURE_SHAPES, **VGG19_CLASSIFIER_SHAPES}, seed), path)
