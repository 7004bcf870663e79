from typing import Dict, Tuple, Union

import torch
from mmaction.utils import ConfigType, OptConfigType, OptSampleList
from mmengine.model import BaseModel

from mmcpsp.registry import MODELS

PRECISIONS = dict(float32=torch.float32, float64=torch.float64)
MODES = ('tensor', 'loss', 'predict')

ForwardResults = Union[Dict[str, torch.Tensor], list, torch.Tensor,
                       Tuple[torch.Tensor, torch.Tensor]]


@MODELS.register_module()
class AVELLocalizer(BaseModel):
    """Audio-visual model: backbone, neck and head.

    The backbone encodes the inputs (``inputs['audio']``,
    ``inputs['visual']`` ...) into an audio and a visual sequence, the neck
    fuses them (PSP) and the head (a
    :class:`~mmcpsp.models.heads.BaseSegmentHead`) scores the segments and
    owns the losses. Event localization and video parsing models are both
    of this form; they differ in their parts.

    Args:
        backbone (dict): Audio-visual encoder, e.g. ``AVGAEncoder``; its
            forward takes the inputs as keyword arguments (``audio=``,
            ``visual=`` ...) and returns the audio and the visual
            sequence.
        neck (dict): Fusion module, e.g. ``PSPNeck``; takes
            ``(audio_seq, visual_seq)`` and returns what the head reads
            (PSP: the fused, visual and audio outputs).
        head (dict): Head, e.g. ``CPSPHead``.
        data_preprocessor (dict, optional): Data preprocessor. Defaults to
            None, meaning ``dict(type='AVELDataPreprocessor')``.
        precision (str): ``'float32'`` or ``'float64'``; the dtype of every
            parameter (the published code trained in float64).
            Defaults to ``'float32'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 head: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 precision: str = 'float32',
                 init_cfg: OptConfigType = None) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {tuple(PRECISIONS)}, '
                             f'got {precision!r}.')
        if data_preprocessor is None:
            data_preprocessor = dict(type='AVELDataPreprocessor')
        # Built here rather than by BaseModel, whose root registry finds
        # mmcpsp's preprocessor only under the mmcpsp default scope.
        super().__init__(
            data_preprocessor=MODELS.build(data_preprocessor),
            init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)
        self.precision = precision
        self.to(PRECISIONS[precision])

    def extract_feat(
            self, inputs: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Encode and fuse the two modalities.

        Args:
            inputs (dict[str, torch.Tensor]): The backbone's inputs, e.g.
                ``audio`` [B, T, Ca] and ``visual`` [B, T, H, W, Cv].

        Returns:
            tuple[torch.Tensor, ...]: The outputs of the neck (PSP: fused
            F, visual Vo and audio Ao, each [B, T, D]).
        """
        return self.neck(*self.backbone(**inputs))

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> ForwardResults:
        """Run the model in one of three modes.

        Args:
            inputs (dict[str, torch.Tensor]): ``audio`` [B, T, Ca] and
                ``visual`` [B, T, H, W, Cv].
            data_samples (list[ActionDataSample], optional): Samples of the
                batch, with labels for ``'loss'``. Defaults to None.
            mode (str): ``'tensor'`` returns the head's raw outputs
                (``CPSPHead``: the event logits [B, T] and the category
                logits [B, C]; ``PSPCVPR21Head``: the segment logits
                [B, T, C + 1]); ``'loss'`` a dict of losses;
                ``'predict'`` a list of ``ActionDataSample`` with
                per-segment predictions. Defaults to ``'tensor'``.

        Returns:
            tuple | dict | list: See ``mode``.
        """
        if mode not in MODES:
            raise RuntimeError(f'Invalid mode "{mode}": AVELLocalizer '
                               f'supports {", ".join(MODES)}.')
        neck_outputs = self.extract_feat(inputs)
        if mode == 'loss':
            return self.head.loss(neck_outputs, data_samples)
        if mode == 'predict':
            return self.head.predict(neck_outputs, data_samples)
        return self.head(neck_outputs)
