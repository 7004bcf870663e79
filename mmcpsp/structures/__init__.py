from .localization_result import (
    BACKGROUND,
    EventInterval,
    LocalizationResult,
    class_names_of,
    generic_class_names,
    gt_labels_from_spans,
    label_runs,
)
from .segment_fields import (
    BATCH_LABELS,
    GT_SEGMENT_LABELS,
    GT_VIDEO_LABEL,
    GT_VIDEO_PROB_LABEL,
    PRED_CATEGORY_SCORES,
    PRED_EVENT_SCORES,
    PRED_SEGMENT_LABELS,
    attach_predictions,
    stack_segment_labels,
    stack_video_labels,
    stack_video_prob_labels,
)

__all__ = [
    'BATCH_LABELS', 'GT_SEGMENT_LABELS', 'GT_VIDEO_LABEL',
    'GT_VIDEO_PROB_LABEL', 'PRED_SEGMENT_LABELS', 'PRED_EVENT_SCORES',
    'PRED_CATEGORY_SCORES', 'attach_predictions', 'stack_segment_labels',
    'stack_video_labels', 'stack_video_prob_labels', 'BACKGROUND',
    'EventInterval', 'LocalizationResult', 'class_names_of',
    'generic_class_names', 'gt_labels_from_spans', 'label_runs'
]
