from .avel_cls_loss import AVELFullyClsLoss, AVELWeaklyClsLoss
from .avpsp_loss import AVPSPLoss, pair_similarity
from .event_mil_loss import EventMILLoss
from .mmil_bce_loss import MMILBCELoss
from .psa_loss import SegmentPSALoss, VideoPSALoss
from .psp_cvpr21_cls_loss import SegmentCELoss, VideoBCELoss
from .segment_contrast_loss import SegmentContrastLoss, segment_similarity
from .sspsp_loss import SSPSPLoss
from .vcon_info_loss import VconInfoLoss

__all__ = [
    'AVELFullyClsLoss', 'AVELWeaklyClsLoss', 'AVPSPLoss', 'pair_similarity',
    'EventMILLoss', 'MMILBCELoss', 'SegmentCELoss', 'SegmentContrastLoss',
    'segment_similarity', 'SegmentPSALoss', 'VideoBCELoss', 'VideoPSALoss',
    'SSPSPLoss', 'VconInfoLoss'
]
