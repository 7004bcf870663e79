from .atomic_dump_results import AtomicDumpResults
from .avvp_metric import AVVPMetric, majority_class_scores
from .segment_accuracy import AVELSegmentAccuracy

__all__ = [
    'AVELSegmentAccuracy', 'AVVPMetric', 'AtomicDumpResults',
    'majority_class_scores'
]
