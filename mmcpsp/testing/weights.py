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


#: Blocks per stage of torchvision's ResNets, and whether they are
#: bottlenecks (expansion 4).
_RESNET_STAGES = {
    18: ((2, 2, 2, 2), False), 34: ((3, 4, 6, 3), False),
    50: ((3, 4, 6, 3), True), 101: ((3, 4, 23, 3), True),
    152: ((3, 8, 36, 3), True)
}


def _batch_norm(prefix: str, channels: int) -> Dict[str, Tuple[int, ...]]:
    return {
        f'{prefix}.{name}': (channels, )
        for name in ('weight', 'bias', 'running_mean', 'running_var')
    } | {f'{prefix}.num_batches_tracked': ()}


def torchvision_resnet_shapes(depth: int = 152) -> Dict[str, Tuple[int, ...]]:
    """Keys and shapes of torchvision's ``resnet{depth}`` state dict
    (``resnet152-b121ed2d.pth`` for 152; ``num_batches_tracked`` as newer
    PyTorch saves it), classifier ``fc`` included."""
    stages, bottleneck = _RESNET_STAGES[depth]
    expansion = 4 if bottleneck else 1
    shapes = {'conv1.weight': (64, 3, 7, 7), **_batch_norm('bn1', 64)}
    in_channels = 64
    for stage, num_blocks in enumerate(stages):
        planes = 64 * 2**stage
        for index in range(num_blocks):
            prefix = f'layer{stage + 1}.{index}'
            if bottleneck:
                convs = ((planes, in_channels, 1), (planes, planes, 3),
                         (planes * 4, planes, 1))
            else:
                convs = ((planes, in_channels, 3), (planes, planes, 3))
            for number, (out, inp, size) in enumerate(convs, 1):
                shapes[f'{prefix}.conv{number}.weight'] = (out, inp, size,
                                                           size)
                shapes.update(_batch_norm(f'{prefix}.bn{number}', out))
            if index == 0 and (stage > 0 or in_channels != planes * expansion):
                shapes[f'{prefix}.downsample.0.weight'] = (
                    planes * expansion, in_channels, 1, 1)
                shapes.update(
                    _batch_norm(f'{prefix}.downsample.1', planes * expansion))
            in_channels = planes * expansion
    shapes['fc.weight'] = (1000, in_channels)
    shapes['fc.bias'] = (1000, )
    return shapes


def _conv2plus1d(prefix: str, in_channels: int, mid: int, out: int,
                 spatial: int) -> Dict[str, Tuple[int, ...]]:
    """torchvision's Conv2Plus1D Sequential: conv (0), bn (1), conv (3)."""
    return {
        f'{prefix}.0.weight': (mid, in_channels, 1, spatial, spatial),
        **_batch_norm(f'{prefix}.1', mid),
        f'{prefix}.3.weight': (out, mid, 3, 1, 1),
    }


def torchvision_r2plus1d_18_shapes() -> Dict[str, Tuple[int, ...]]:
    """Keys and shapes of torchvision's ``r2plus1d_18`` state dict
    (``r2plus1d_18-91a641e6.pth``, Kinetics-400), classifier included. A
    block's middle width is ``(in * out * 27) // (in * 9 + 3 * out)`` of its
    own channels, for both its convolutions; the stem's is 45."""
    shapes = {**_conv2plus1d('stem', 3, 45, 64, 7), **_batch_norm('stem.4', 64)}
    in_channels = 64
    for stage in range(4):
        planes = 64 * 2**stage
        for index in range(2):
            prefix = f'layer{stage + 1}.{index}'
            block_in = in_channels if index == 0 else planes
            mid = (block_in * planes * 27) // (block_in * 9 + 3 * planes)
            for number, conv_in in ((1, block_in), (2, planes)):
                shapes.update(_conv2plus1d(f'{prefix}.conv{number}.0',
                                           conv_in, mid, planes, 3))
                shapes.update(_batch_norm(f'{prefix}.conv{number}.1', planes))
            if index == 0 and stage > 0:
                shapes[f'{prefix}.downsample.0.weight'] = (planes, in_channels,
                                                           1, 1, 1)
                shapes.update(_batch_norm(f'{prefix}.downsample.1', planes))
        in_channels = planes
    shapes['fc.weight'] = (400, 512)
    shapes['fc.bias'] = (400, )
    return shapes


def _random_tensor(key: str, shape: Tuple[int, ...],
                   generator: torch.Generator, compact: bool) -> torch.Tensor:
    if key.endswith('num_batches_tracked'):
        return torch.tensor(0)
    if key.endswith('running_var'):
        return 0.5 + torch.rand(shape, generator=generator)
    if key.endswith('running_mean'):
        return 0.1 * torch.randn(shape, generator=generator)
    if len(shape) == 1 and key.endswith('weight'):  # a norm's scale
        return 0.5 + 0.1 * torch.randn(shape, generator=generator)
    if len(shape) == 1:
        return torch.randn(shape, generator=generator) * 0.01
    row_shape = (1, ) + tuple(shape[1:]) if compact else tuple(shape)
    fan_in = max(1, int(torch.tensor(shape[1:]).prod()))
    # With one row for all outputs its sum is what every output sees, so
    # scale by fan-in and keep it positive on average.
    row = torch.rand(row_shape, generator=generator) * 2 / fan_in
    if not compact:
        row = row - 1 / fan_in + torch.randn(
            row_shape, generator=generator) / fan_in**0.5
    return row.expand(shape)


def compact_random_state_dict(shapes: Dict[str, Tuple[int, ...]],
                              seed: int = 0,
                              compact: bool = True
                              ) -> Dict[str, torch.Tensor]:
    """Random tensors of the given shapes, by default stored as one
    broadcast row.

    Weights get a fan-in scaled row (He), biases small values, batch norms
    a scale near 0.5 and a positive running variance, so that activations
    neither vanish nor explode through deep networks.

    Args:
        shapes (dict): Key -> shape.
        seed (int): Defaults to 0.
        compact (bool): One random row per weight, broadcast (a few kB on
            disk, every output channel alike); False for independent
            values everywhere. Defaults to True.
    """
    generator = torch.Generator().manual_seed(seed)
    return {
        key: _random_tensor(key, shape, generator, compact)
        for key, shape in shapes.items()
    }


def write_random_vggish(path: str, seed: int = 0) -> None:
    """A VGGish weight file in the port's layout, random values."""
    torch.save(compact_random_state_dict(VGGISH_SHAPES, seed), path)


def write_random_vgg19(path: str, seed: int = 0) -> None:
    """A VGG-19 weight file in torchvision's layout (classifier included),
    random values."""
    torch.save(
        compact_random_state_dict(
            {**VGG19_FEATURE_SHAPES, **VGG19_CLASSIFIER_SHAPES}, seed), path)


def write_random_torchvision_resnet(path: str, depth: int = 152,
                                    seed: int = 0) -> None:
    """A ResNet weight file in torchvision's layout, random values."""
    torch.save(
        compact_random_state_dict(torchvision_resnet_shapes(depth), seed),
        path)


def write_random_r2plus1d_18(path: str, seed: int = 0) -> None:
    """An R(2+1)D-18 weight file in torchvision's layout, random values."""
    torch.save(
        compact_random_state_dict(torchvision_r2plus1d_18_shapes(), seed),
        path)
