from .local_weights import load_local_weights
from .official_checkpoint import (
    OFFICIAL_TO_MMCPSP_PREFIXES,
    OFFICIAL_UNUSED_PREFIXES,
    OFFICIAL_USED_KEYS,
    convert_official_state_dict,
    load_official_checkpoint,
    unwrap_official_checkpoint,
)
from .segment_targets import (
    event_mask,
    video_classes_from_segments,
    video_classes_from_weak,
    weak_labels,
)

__all__ = [
    'OFFICIAL_TO_MMCPSP_PREFIXES', 'OFFICIAL_UNUSED_PREFIXES',
    'OFFICIAL_USED_KEYS', 'convert_official_state_dict', 'load_local_weights',
    'load_official_checkpoint', 'unwrap_official_checkpoint', 'event_mask',
    'video_classes_from_segments', 'video_classes_from_weak', 'weak_labels'
]
