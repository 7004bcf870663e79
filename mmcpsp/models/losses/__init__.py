from .avel_cls_loss import AVELFullyClsLoss, AVELWeaklyClsLoss
from .avpsp_loss import AVPSPLoss, pair_similarity
from .event_mil_loss import EventMILLoss
from .psa_loss import SegmentPSALoss, VideoPSALoss
from .psp_cvpr21_cls_loss import SegmentCELoss, VideoBCELoss
from .sspsp_loss import SSPSPLoss

__all__ = [
    'AVELFullyClsLoss', 'AVELWeaklyClsLoss', 'AVPSPLoss', 'pair_similarity',
    'EventMILLoss', 'SegmentCELoss', 'SegmentPSALoss', 'VideoBCELoss',
    'VideoPSALoss', 'SSPSPLoss'
]
