from .atomic_dump_results import AtomicDumpResults
from .avvp_metric import AVVPMetric
from .segment_accuracy import AVELSegmentAccuracy

__all__ = ['AVELSegmentAccuracy', 'AVVPMetric', 'AtomicDumpResults']
