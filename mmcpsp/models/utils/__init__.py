from .local_weights import LocalWeightsMixin, load_local_weights
from .official_checkpoint import (
    DATA_PARALLEL_PREFIX,
    convert_official_state_dict,
    detect_official_layout,
    load_official_checkpoint,
    strip_data_parallel_prefix,
    unwrap_official_checkpoint,
)
from .official_layouts import (
    OFFICIAL_AVVP_LAYOUTS,
    OFFICIAL_LAYOUTS,
    OfficialLayout,
)
from .segment_targets import (
    event_mask,
    video_classes_from_segments,
    weak_labels,
)

__all__ = [
    'DATA_PARALLEL_PREFIX', 'OFFICIAL_AVVP_LAYOUTS', 'OFFICIAL_LAYOUTS',
    'LocalWeightsMixin', 'OfficialLayout',
    'convert_official_state_dict', 'detect_official_layout',
    'load_local_weights', 'load_official_checkpoint',
    'strip_data_parallel_prefix', 'unwrap_official_checkpoint', 'event_mask',
    'video_classes_from_segments', 'weak_labels'
]
