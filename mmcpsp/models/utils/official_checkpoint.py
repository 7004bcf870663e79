"""Convert the authors' released CPSP weights into an AVELLocalizer state.

The released files are plain state dicts saved with ``torch.save`` from a
``DataParallel`` model (keys prefixed ``module.``), in float64; some copies
wrap them as ``{'state_dict': ...}`` or ``{'model': ...}``.
"""
from collections import OrderedDict
from typing import Dict, Mapping

import torch

#: Prefix that ``DataParallel`` adds to every key.
DATA_PARALLEL_PREFIX = 'module.'

#: Official name prefix -> AVELLocalizer name prefix.
OFFICIAL_TO_MMCPSP_PREFIXES = OrderedDict([
    ('attention.affine_audio.', 'backbone.attention.audio_hidden.'),
    ('attention.affine_video.', 'backbone.attention.visual_hidden.'),
    ('attention.affine_v.', 'backbone.attention.visual_energy.'),
    ('attention.affine_g.', 'backbone.attention.audio_energy.'),
    ('attention.affine_h.', 'backbone.attention.region_score.'),
    ('lstm_a_v.lstm_audio.', 'backbone.audio_lstm.'),
    ('lstm_a_v.lstm_video.', 'backbone.visual_lstm.'),
    ('fa.', 'backbone.audio_embedding.'),
    ('fv.', 'backbone.visual_embedding.'),
    ('psp.v_L1.', 'neck.visual_message_proj.'),
    ('psp.v_L2.', 'neck.visual_affinity_proj.'),
    ('psp.a_L1.', 'neck.audio_affinity_proj.'),
    ('psp.a_L2.', 'neck.audio_message_proj.'),
    ('psp.v_fc.', 'neck.visual_out_proj.'),
    ('psp.a_fc.', 'neck.audio_out_proj.'),
    ('psp.layer_norm.', 'neck.layer_norm.'),
    ('event_classifier.0.', 'head.event_classifier.'),
    ('category_classifier.0.', 'head.category_classifier.'),
])

_LSTM_SUFFIXES = tuple(f'{kind}_{gate}_l0{direction}'
                       for direction in ('', '_reverse')
                       for kind in ('weight', 'bias')
                       for gate in ('ih', 'hh'))

#: Every key (without ``module.``) that the forward pass uses.
OFFICIAL_USED_KEYS = (
    'fa.0.weight', 'fa.1.weight', 'fv.0.weight', 'fv.1.weight',
    'attention.affine_audio.weight', 'attention.affine_audio.bias',
    'attention.affine_video.weight', 'attention.affine_video.bias',
    'attention.affine_v.weight', 'attention.affine_g.weight',
    'attention.affine_h.weight',
    *(f'lstm_a_v.{lstm}.{suffix}' for lstm in ('lstm_audio', 'lstm_video')
      for suffix in _LSTM_SUFFIXES),
    *(f'psp.{proj}.weight'
      for proj in ('v_L1', 'v_L2', 'v_fc', 'a_L1', 'a_L2', 'a_fc')),
    'psp.layer_norm.weight', 'psp.layer_norm.bias',
    'event_classifier.0.weight', 'event_classifier.0.bias',
    'category_classifier.0.weight', 'category_classifier.0.bias',
)

#: Modules of the released network that the forward pass never calls.
OFFICIAL_UNUSED_PREFIXES = ('linear_v.', 'v_classify.', 'a_classify.', 'L1.',
                            'L2.')

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
        raise TypeError('An official CPSP checkpoint is a dict of tensors, '
                        f'got {type(checkpoint).__name__}.')
    for key in _WRAPPER_KEYS:
        if isinstance(checkpoint.get(key), Mapping):
            return checkpoint[key]
    return checkpoint


def load_official_checkpoint(path: str) -> Mapping[str, torch.Tensor]:
    """Read a released checkpoint, refusing anything but plain tensors.

    Args:
        path (str): The ``.pth`` or ``.pt`` file.

    Returns:
        Mapping[str, torch.Tensor]: Its state dict, keys as saved.
    """
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    return unwrap_official_checkpoint(checkpoint)


def _rename(official_key: str) -> str:
    official_prefix = next(prefix for prefix in OFFICIAL_TO_MMCPSP_PREFIXES
                           if official_key.startswith(prefix))
    return (OFFICIAL_TO_MMCPSP_PREFIXES[official_prefix] +
            official_key[len(official_prefix):])


def convert_official_state_dict(
        official_state: Mapping[str, torch.Tensor],
        dtype: torch.dtype = torch.float32) -> Dict[str, torch.Tensor]:
    """Map the authors' CPSP state dict onto AVELLocalizer's parameter names.

    Keys may carry the ``module.`` prefix of ``DataParallel``. The weights of
    ``linear_v``, ``v_classify``, ``a_classify``, ``L1`` and ``L2`` are
    unused by the network and dropped.

    Args:
        official_state (Mapping[str, torch.Tensor]): The released state dict.
        dtype (torch.dtype): Dtype of the converted tensors.
            Defaults to torch.float32.

    Returns:
        dict[str, torch.Tensor]: State dict of an ``AVELLocalizer`` with an
        ``AVGAEncoder`` backbone, a ``PSPNeck`` and a ``CPSPHead``.

    Raises:
        ValueError: If a key is neither used nor known to be unused, or if a
            used key is missing; the message names the keys.
    """
    stripped = OrderedDict()
    for key, value in official_state.items():
        if key.startswith(DATA_PARALLEL_PREFIX):
            key = key[len(DATA_PARALLEL_PREFIX):]
        stripped[key] = value

    used_keys = set(OFFICIAL_USED_KEYS)
    unexpected = [
        key for key in stripped if key not in used_keys
        and not key.startswith(OFFICIAL_UNUSED_PREFIXES)
    ]
    if unexpected:
        raise ValueError('Unexpected keys in the official CPSP checkpoint: '
                       f'{", ".join(unexpected)}.')
    missing = [key for key in OFFICIAL_USED_KEYS if key not in stripped]
    if missing:
        raise ValueError('Keys missing from the official CPSP checkpoint: '
                       f'{", ".join(missing)}.')

    converted = OrderedDict()
    for key in OFFICIAL_USED_KEYS:
        value = stripped[key]
        if not isinstance(value, torch.Tensor):
            raise TypeError(f'Official CPSP checkpoint key {key} holds a '
                            f'{type(value).__name__}, not a tensor.')
        converted[_rename(key)] = value.detach().to(dtype).clone()
    return converted
