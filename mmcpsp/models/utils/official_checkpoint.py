"""Convert the authors' released weights into an AVELLocalizer state.

The released files are plain state dicts saved with ``torch.save``, from a
``DataParallel`` model (keys prefixed ``module.``) or not; some copies wrap
them as ``{'state_dict': ...}`` or ``{'model': ...}``. Their layout (see
:mod:`.official_layouts`) is recognised from the keys.
"""
import pickle
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch

from .official_layouts import OFFICIAL_LAYOUTS, OfficialLayout

#: Name -> layout, the released layouts a conversion chooses among.
Layouts = Mapping[str, OfficialLayout]
from .pickled_module import load_pickled_module_state, module_classes

#: Prefix that ``DataParallel`` adds to every key.
DATA_PARALLEL_PREFIX = 'module.'

_WRAPPER_KEYS = ('state_dict', 'model')


def unwrap_official_checkpoint(checkpoint: Mapping) -> Mapping:
    """Return the state dict of a plain or wrapped official checkpoint.

    Args:
        checkpoint (Mapping): What ``torch.load`` returned: a state dict, or
            a dict holding one under ``'state_dict'`` or ``'model'``.

    Returns:
        Mapping: The state dict, keys as saved.
    """
    if not isinstance(checkpoint, Mapping):
        raise TypeError('An official checkpoint is a dict of tensors, '
                        f'got {type(checkpoint).__name__}.')
    for key in _WRAPPER_KEYS:
        if isinstance(checkpoint.get(key), Mapping):
            return checkpoint[key]
    return checkpoint


def _refusal_reason(error: pickle.UnpicklingError) -> str:
    """What torch's weights-only unpickler refused, without its advice.

    torch's message opens with a paragraph on trusting the file and ends
    with a pointer to its documentation; the lines between name the
    refused global or opcode.
    """
    paragraphs = [
        paragraph.strip() for paragraph in str(error).split('\n\n')
        if paragraph.strip()
    ]
    details = [
        line.strip() for paragraph in paragraphs[1:]
        for line in paragraph.splitlines()
        if line.strip() and not line.startswith(
            ('Check the documentation', 'Please file an issue'))
    ]
    return ' '.join(details) or paragraphs[0]


def load_official_checkpoint(path: str) -> Mapping[str, torch.Tensor]:
    """Read a released checkpoint, refusing anything but plain tensors.

    The file is read with ``weights_only=True``: a pickle that would build
    any other object, or call any function (code execution), is refused
    before anything in it runs. A whole pickled network (how the CVPR 2021
    PSP release saved its models) is read with inert stand-ins for its
    module classes (:mod:`.pickled_module`), never with the classes.

    Args:
        path (str): The ``.pth``, ``.pt`` or ``.pth.tar`` file.

    Returns:
        Mapping[str, torch.Tensor]: Its state dict, keys as saved.

    Raises:
        pickle.UnpicklingError: If the file holds anything but tensors and
            containers of them; the message names the file.
    """
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        classes = module_classes(path)
        if classes is not None:
            return load_pickled_module_state(path, classes)
        raise pickle.UnpicklingError(
            f'{path} is not a plain state dict of tensors, so it was not '
            'loaded (unpickling it could run code): '
            f'{_refusal_reason(error)}') from None
    return unwrap_official_checkpoint(checkpoint)


def strip_data_parallel_prefix(
        state: Mapping[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Drop the ``module.`` prefix of ``DataParallel`` from every key."""
    return OrderedDict(
        (key[len(DATA_PARALLEL_PREFIX):]
         if key.startswith(DATA_PARALLEL_PREFIX) else key, value)
        for key, value in state.items())


def _unplaced_and_missing(layout: OfficialLayout,
                          keys: List[str]) -> Tuple[List[str], List[str]]:
    unplaced = [
        key for key in keys
        if key not in layout.renames and not layout.is_unused(key)
    ]
    present = set(keys)
    missing = [key for key in layout.renames if key not in present]
    return unplaced, missing


def _mismatch_message(layout: OfficialLayout, unplaced: List[str],
                      missing: List[str]) -> str:
    parts = []
    if unplaced:
        parts.append(f'Unexpected keys: {", ".join(unplaced)}.')
    if missing:
        parts.append(f'Keys missing: {", ".join(missing)}.')
    return (f'the keys do not match the {layout.name} layout '
            f'({layout.description}). ' + ' '.join(parts))


def detect_official_layout(state: Mapping[str, torch.Tensor],
                           arch: Optional[str] = None,
                           layouts: Layouts = OFFICIAL_LAYOUTS
                           ) -> OfficialLayout:
    """Find the released layout whose keys the state dict holds.

    Args:
        state (Mapping[str, torch.Tensor]): The released state dict, with or
            without the ``module.`` prefix.
        arch (str, optional): Name of the layout to check against instead
            of detecting it, a key of ``layouts`` (e.g. ``'cpsp'``,
            ``'cpsp_resnet'``, ``'psp_cvpr21_fully'``,
            ``'psp_cvpr21_weakly'``). Defaults to None.
        layouts (Mapping[str, OfficialLayout]): The layouts to choose
            among, tried in order. Defaults to :data:`OFFICIAL_LAYOUTS`
            (event localization; :data:`OFFICIAL_AVVP_LAYOUTS` for video
            parsing).

    Returns:
        OfficialLayout: The layout that uses or knowingly drops every key
        and finds every key it needs.

    Raises:
        ValueError: If no layout fits: one message naming the keys that
            could not be placed and those missing, for ``arch`` or else for
            the closest layout.
    """
    if arch is not None and arch not in layouts:
        raise ValueError(f'Unknown arch {arch!r}: one of '
                         f'{", ".join(layouts)}.')
    keys = list(strip_data_parallel_prefix(state))
    candidates = ([layouts[arch]]
                  if arch is not None else list(layouts.values()))
    mismatches = []
    for layout in candidates:
        unplaced, missing = _unplaced_and_missing(layout, keys)
        if not unplaced and not missing:
            return layout
        mismatches.append((len(unplaced) + len(missing), layout, unplaced,
                           missing))
    _, layout, unplaced, missing = min(mismatches, key=lambda item: item[0])
    if arch is not None:
        raise ValueError(_mismatch_message(layout, unplaced, missing))
    placeable = set()
    for other in layouts.values():
        placeable.update(key for key in keys if key in other.renames
                         or other.is_unused(key))
    unknown = [key for key in keys if key not in placeable]
    known = ', '.join(layouts)
    if unknown:
        raise ValueError(
            f'Unknown layout: no released layout ({known}) places the keys '
            f'{", ".join(unknown)}. Closest: ' +
            _mismatch_message(layout, unplaced, missing))
    raise ValueError(f'Unknown layout: no released layout ({known}) fits '
                     'exactly. Closest: ' +
                     _mismatch_message(layout, unplaced, missing))


def convert_official_state_dict(
        official_state: Mapping[str, torch.Tensor],
        dtype: torch.dtype = torch.float32,
        arch: Optional[str] = None,
        layouts: Layouts = OFFICIAL_LAYOUTS) -> Dict[str, torch.Tensor]:
    """Map a released state dict onto AVELLocalizer's parameter names.

    Keys may carry the ``module.`` prefix of ``DataParallel``. The layout is
    detected from the keys (or given by ``arch``); the weights of modules
    the released network never calls are dropped.

    Args:
        official_state (Mapping[str, torch.Tensor]): The released state dict.
        dtype (torch.dtype): Dtype of the converted tensors.
            Defaults to torch.float32.
        arch (str, optional): Layout name; see
            :func:`detect_official_layout`. Defaults to None (detect).
        layouts (Mapping[str, OfficialLayout]): The layouts to choose
            among. Defaults to :data:`OFFICIAL_LAYOUTS`.

    Returns:
        dict[str, torch.Tensor]: State dict of the ``AVELLocalizer`` built
        by the layout's configs (``OfficialLayout.configs``).

    Raises:
        ValueError: If the keys fit no layout (or not ``arch``); the message
            names the keys.
        TypeError: If a used key holds something other than a tensor.
    """
    layout = detect_official_layout(official_state, arch, layouts)
    stripped = strip_data_parallel_prefix(official_state)
    converted = OrderedDict()
    for official_key, key in layout.renames.items():
        value = stripped[official_key]
        if not isinstance(value, torch.Tensor):
            raise TypeError(f'Official checkpoint key {official_key} holds a '
                            f'{type(value).__name__}, not a tensor.')
        converted[key] = value.detach().to(dtype).clone()
    return converted
