from .avel_cls_loss import AVELFullyClsLoss, AVELWeaklyClsLoss
from .avpsp_loss import AVPSPLoss, pair_similarity
from .event_mil_loss import EventMILLoss
from .psa_loss import SegmentPSALoss, VideoPSALoss
from .sspsp_loss import SSPSPLoss

__all__ = [
    'AVELFullyClsLoss', 'AVELWeaklyClsLoss', 'AVPSPLoss', 'pair_similarity',
    'EventMILLoss', 'SegmentPSALoss', 'VideoPSALoss', 'SSPSPLoss'
]
