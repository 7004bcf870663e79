"""Key names of torchvision's ResNet and R(2+1)D state dicts, mapped to
the modules that load them.

torchvision names a convolution and its batch norm separately
(``layer1.0.conv1``, ``layer1.0.bn1``) or by position in a Sequential
(``layer1.0.conv1.0.0``); MMAction2's backbones wrap both in one
``ConvModule`` (``layer1.0.conv1.conv``, ``layer1.0.conv1.bn``). Each map
below is a list of (pattern, replacement) rules tried in order; a key that
no rule matches is kept as it is, so that a strict load names it.
"""
import re
from typing import Callable, Sequence, Tuple

#: Batch-norm tensors (buffers included).
_BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
_BLOCK = r'(layer\d+\.\d+)'

#: torchvision ``resnet{18,34,50,101,152}`` -> MMAction2 ``ResNet``.
RESNET_RULES: Tuple[Tuple[str, str], ...] = (
    (r'^conv1\.weight$', r'conv1.conv.weight'),
    (rf'^bn1\.{_BN}$', r'conv1.bn.\1'),
    (rf'^{_BLOCK}\.conv(\d)\.weight$', r'\1.conv\2.conv.weight'),
    (rf'^{_BLOCK}\.bn(\d)\.{_BN}$', r'\1.conv\2.bn.\3'),
    (rf'^{_BLOCK}\.downsample\.0\.weight$', r'\1.downsample.conv.weight'),
    (rf'^{_BLOCK}\.downsample\.1\.{_BN}$', r'\1.downsample.bn.\2'),
)

#: torchvision ``r2plus1d_18`` -> :class:`~mmcpsp.models.backbones.R2Plus1D18`.
#: A (2+1)D convolution of torchvision is the Sequential (spatial conv, its
#: batch norm, ReLU, temporal conv) at positions 0, 1, 3; in a block it is
#: position 0 of ``convK``, the block's batch norm position 1.
R2PLUS1D_RULES: Tuple[Tuple[str, str], ...] = (
    (r'^stem\.0\.weight$', r'conv1.conv.conv_s.weight'),
    (rf'^stem\.1\.{_BN}$', r'conv1.conv.bn_s.\1'),
    (r'^stem\.3\.weight$', r'conv1.conv.conv_t.weight'),
    (rf'^stem\.4\.{_BN}$', r'conv1.bn.\1'),
    (rf'^{_BLOCK}\.conv(\d)\.0\.0\.weight$', r'\1.conv\2.conv.conv_s.weight'),
    (rf'^{_BLOCK}\.conv(\d)\.0\.1\.{_BN}$', r'\1.conv\2.conv.bn_s.\3'),
    (rf'^{_BLOCK}\.conv(\d)\.0\.3\.weight$', r'\1.conv\2.conv.conv_t.weight'),
    (rf'^{_BLOCK}\.conv(\d)\.1\.{_BN}$', r'\1.conv\2.bn.\3'),
    (rf'^{_BLOCK}\.downsample\.0\.weight$', r'\1.downsample.conv.weight'),
    (rf'^{_BLOCK}\.downsample\.1\.{_BN}$', r'\1.downsample.bn.\2'),
)

#: The ImageNet / Kinetics classifier of both files, not used by the
#: feature extractors.
CLASSIFIER_PREFIX = 'fc.'


def rename_by_rules(rules: Sequence[Tuple[str, str]]) -> Callable[[str], str]:
    """A function renaming a key by the first rule whose pattern matches.

    Args:
        rules (Sequence[tuple[str, str]]): (regular expression, replacement)
            pairs, as :func:`re.sub` takes them.

    Returns:
        Callable[[str], str]: The renaming; unmatched keys are returned as
        they are.
    """
    compiled = [(re.compile(pattern), repl) for pattern, repl in rules]

    def rename(key: str) -> str:
        for pattern, repl in compiled:
            if pattern.match(key):
                return pattern.sub(repl, key)
        return key

    return rename


#: torchvision ResNet key -> MMAction2 ResNet key.
torchvision_resnet_key = rename_by_rules(RESNET_RULES)
#: torchvision r2plus1d_18 key -> R2Plus1D18 key.
torchvision_r2plus1d_key = rename_by_rules(R2PLUS1D_RULES)
