from .atomic_dump_results import AtomicDumpResults
from .segment_accuracy import AVELSegmentAccuracy

__all__ = ['AVELSegmentAccuracy', 'AtomicDumpResults']
