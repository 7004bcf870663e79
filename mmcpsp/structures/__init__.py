from .localization_result import (
    BACKGROUND,
    EventInterval,
    LocalizationResult,
    class_names_of,
    generic_class_names,
    gt_labels_from_spans,
    label_runs,
)
from .parsing_result import MODALITIES, ParsingResult, labels_from_spans
from .results import (
    RESULT_TYPES,
    result_from_data_sample,
    result_type_of,
)
from .segment_fields import (
    BATCH_LABELS,
    GT_AUDIO_LABELS,
    GT_FIELDS,
    GT_SEGMENT_LABELS,
    GT_VIDEO_LABEL,
    GT_VIDEO_PROB_LABEL,
    GT_VISUAL_LABELS,
    GT_WEAK_LABEL,
    PRED_CATEGORY_SCORES,
    PRED_EVENT_SCORES,
    PRED_PREFIX,
    PRED_SEGMENT_LABELS,
    attach_predictions,
    predictions_of,
    stack_field,
)

__all__ = [
    'BATCH_LABELS', 'GT_SEGMENT_LABELS', 'GT_VIDEO_LABEL',
    'GT_VIDEO_PROB_LABEL', 'GT_WEAK_LABEL', 'GT_AUDIO_LABELS',
    'GT_VISUAL_LABELS', 'GT_FIELDS', 'PRED_PREFIX', 'PRED_SEGMENT_LABELS',
    'PRED_EVENT_SCORES', 'PRED_CATEGORY_SCORES', 'attach_predictions',
    'predictions_of', 'stack_field', 'BACKGROUND',
    'EventInterval', 'LocalizationResult', 'class_names_of',
    'generic_class_names', 'gt_labels_from_spans', 'label_runs',
    'RESULT_TYPES', 'result_from_data_sample', 'result_type_of',
    'MODALITIES', 'ParsingResult', 'labels_from_spans'
]
