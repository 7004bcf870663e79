from .annotations import (
    DenseAnnotations,
    WeakLabels,
    parse_dense_annotations,
    parse_weak_labels,
    video_id_of,
)
from .audio_release import audio_release, describe_audio_release
from .classes import LLP_CLASSES
from .llp_dataset import LLPDataset

__all__ = [
    'DenseAnnotations', 'LLPDataset', 'LLP_CLASSES', 'WeakLabels',
    'audio_release', 'describe_audio_release', 'parse_dense_annotations',
    'parse_weak_labels', 'video_id_of'
]
