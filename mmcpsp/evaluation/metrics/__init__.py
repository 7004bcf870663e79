from .segment_accuracy import AVELSegmentAccuracy

__all__ = ['AVELSegmentAccuracy']
