from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.backbones.resnet3d import BasicBlock3d, ResNet3d
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model.weight_init import constant_init, kaiming_init
from torch.nn.modules.utils import _triple

from mmcpsp.registry import MODELS

from ..utils import LocalWeightsMixin
from ..utils.torchvision_keys import (
    CLASSIFIER_PREFIX,
    torchvision_r2plus1d_key,
)

#: Channels between the spatial and the temporal convolution of
#: torchvision's R(2+1)D stem.
STEM_MID_CHANNELS = 45
#: The normalisation of RGB in [0, 1] torchvision's Kinetics-400 video
#: weights expect (the one of HAN's ``extract_3D_feat.py``).
KINETICS_UNIT_MEAN = (0.43216, 0.394666, 0.37645)
KINETICS_UNIT_STD = (0.22803, 0.22145, 0.216989)


def r2plus1d_mid_channels(in_channels: int, out_channels: int) -> int:
    """torchvision's ``midplanes`` of a block's (2+1)D convolutions
    (3 x 3 x 3 kernels): as many parameters as a full 3-D convolution,
    ``(in * out * 27) // (in * 9 + 3 * out)`` from the block's input and
    output channels, the same for both convolutions of the block."""
    return (in_channels * out_channels * 27) // (
        in_channels * 9 + 3 * out_channels)


@MODELS.register_module()
class Conv2plus1dMid(nn.Module):
    """A (2+1)D convolution with a given number of middle channels.

    A ``kt x kh x kw`` convolution factorised into a ``1 x kh x kw`` spatial
    convolution, batch norm, ReLU and a ``kt x 1 x 1`` temporal one, with
    MMAction2's :class:`~mmaction.models.common.Conv2plus1d` names
    (``conv_s``, ``bn_s``, ``conv_t``) and attributes, so that ``ConvModule``
    and MMAction2's blocks take it as ``conv_cfg``. MMAction2's class
    derives the middle width from its own in and out channels; torchvision
    sets it per block (and to 45 in the stem), which this class takes as
    ``mid_channels``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int | tuple[int]): (kt, kh, kw).
        stride (int | tuple[int]): (st, sh, sw). Defaults to 1.
        padding (int | tuple[int]): (pt, ph, pw). Defaults to 0.
        dilation (int | tuple[int]): Must be 1. Defaults to 1.
        groups (int): Must be 1. Defaults to 1.
        bias (bool): Biases of both convolutions. Defaults to False.
        mid_channels (int, optional): Defaults to None, meaning
            :func:`r2plus1d_mid_channels` of ``in_channels`` and
            ``out_channels``.
        norm_cfg (dict): The middle norm. Defaults to ``dict(type='BN3d')``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: Union[int, Tuple[int, int, int]],
                 stride: Union[int, Tuple[int, int, int]] = 1,
                 padding: Union[int, Tuple[int, int, int]] = 0,
                 dilation: Union[int, Tuple[int, int, int]] = 1,
                 groups: int = 1,
                 bias: bool = False,
                 mid_channels: Optional[int] = None,
                 norm_cfg: Optional[Dict] = None) -> None:
        super().__init__()
        if _triple(dilation) != (1, 1, 1) or groups != 1:
            raise ValueError('Conv2plus1dMid takes no dilation or groups')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _triple(kernel_size)
        self.stride = _triple(stride)
        self.padding = _triple(padding)
        self.dilation = (1, 1, 1)
        self.groups = 1
        self.bias = bias
        self.transposed = False
        self.output_padding = (0, 0, 0)
        self.mid_channels = (
            r2plus1d_mid_channels(in_channels, out_channels)
            if mid_channels is None else mid_channels)
        kt, kh, kw = self.kernel_size
        st, sh, sw = self.stride
        pt, ph, pw = self.padding
        self.conv_s = nn.Conv3d(
            in_channels, self.mid_channels, (1, kh, kw), stride=(1, sh, sw),
            padding=(0, ph, pw), bias=bias)
        _, self.bn_s = build_norm_layer(norm_cfg or dict(type='BN3d'),
                                        self.mid_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv_t = nn.Conv3d(
            self.mid_channels, out_channels, (kt, 1, 1), stride=(st, 1, 1),
            padding=(pt, 0, 0), bias=bias)

    def init_weights(self) -> None:
        """Kaiming convolutions, unit norm (as MMAction2's Conv2plus1d)."""
        kaiming_init(self.conv_s)
        kaiming_init(self.conv_t)
        constant_init(self.bn_s, 1, bias=0)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """[N, C, T, H, W] -> [N, out_channels, T', H', W']."""
        return self.conv_t(self.relu(self.bn_s(self.conv_s(inputs))))


@MODELS.register_module()
class R2Plus1D18(LocalWeightsMixin, ResNet3d):
    """torchvision's ``r2plus1d_18`` (Tran et al., CVPR 2018), as an
    MMAction2 ResNet3d.

    MMAction2's ``ResNet2Plus1d(depth=18)`` is not this network, in four
    places, so it cannot load torchvision's Kinetics-400 weights
    (``r2plus1d_18-91a641e6.pth``, what HAN's ``extract_3D_feat.py`` used
    for the ``feats/r2plus1d_18`` features of LLP):

    - torchvision's stem is a (2+1)D convolution of 45 middle channels
      (1 x 7 x 7, then 3 x 1 x 1); MMAction2's width rule gives 83;
    - torchvision has no max-pool after the stem;
    - torchvision's shortcut projections are one 1 x 1 x 1 convolution of
      stride (2, 2, 2); MMAction2 builds them with ``conv_cfg``, a (2+1)D
      pair;
    - torchvision computes the middle width of a block from the block's
      input and output channels and uses it for both its convolutions, so
      the second convolution of the first block of stages 2-4 has 230, 460
      and 921 middle channels where MMAction2 would give 288, 576 and
      1152.

    This class keeps MMAction2's ResNet3d (stages, its ``BasicBlock3d``,
    ``ConvModule``, frozen stages, ``norm_eval``) and builds the stem and
    the stages as torchvision does, with :class:`Conv2plus1dMid`. Keys are
    MMAction2's (``conv1.conv.conv_s.weight``,
    ``layer2.0.downsample.conv.weight`` ...); ``pretrained`` is a state
    dict in torchvision's names, renamed by
    :data:`~mmcpsp.models.utils.torchvision_keys.torchvision_r2plus1d_key`;
    ``fc.*`` is dropped on purpose, every other key must match.

    Inputs are clips [N, 3, T, H, W] normalised as the weights expect
    (torchvision's Kinetics weights: RGB in [0, 1], mean
    :data:`KINETICS_UNIT_MEAN`, std :data:`KINETICS_UNIT_STD`). The output is
    the map of the last stage, [N, 512, T / 8, H / 16, W / 16] (rounded
    up), or [N, 512] with ``global_pool`` (torchvision's ``avgpool``: the
    ``feats/r2plus1d_18`` vector of an 8-frame 112 x 112 clip).

    Args:
        pretrained (str, optional): Path of torchvision's state dict,
            loaded by :meth:`init_weights`. Defaults to None (MMAction2's
            initialisation).
        global_pool (bool): Average the output over time and space.
            Defaults to False.
        out_indices (Sequence[int]): Stages whose maps are returned (without
            ``global_pool``). Defaults to (3, ).
        frozen_stages (int): As MMAction2's ResNet3d. Defaults to -1.
        norm_eval (bool): As MMAction2's ResNet3d. Defaults to False.
    """

    weight_drop_prefixes = (CLASSIFIER_PREFIX, )
    weight_rename = staticmethod(torchvision_r2plus1d_key)

    def __init__(self,
                 pretrained: Optional[str] = None,
                 global_pool: bool = False,
                 out_indices: Sequence[int] = (3, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False) -> None:
        if global_pool and tuple(out_indices) != (3, ):
            raise ValueError('global_pool pools the last stage only')
        super().__init__(
            depth=18,
            pretrained=None,
            pretrained2d=False,
            out_indices=out_indices,
            spatial_strides=(1, 2, 2, 2),
            temporal_strides=(1, 2, 2, 2),
            conv1_kernel=(3, 7, 7),
            conv1_stride_s=2,
            conv1_stride_t=1,
            with_pool1=False,
            with_pool2=False,
            frozen_stages=frozen_stages,
            conv_cfg=dict(type=Conv2plus1dMid),
            norm_cfg=dict(type='BN3d', requires_grad=True),
            act_cfg=dict(type='ReLU', inplace=True),
            norm_eval=norm_eval,
            zero_init_residual=False)
        self.weight_file = pretrained
        self.global_pool = global_pool

    def _make_stem_layer(self) -> None:
        """torchvision's ``R2Plus1dStem``, as one ConvModule."""
        self.conv1 = ConvModule(
            self.in_channels, self.base_channels, self.conv1_kernel,
            stride=(self.conv1_stride_t, self.conv1_stride_s,
                    self.conv1_stride_s),
            padding=tuple((k - 1) // 2 for k in self.conv1_kernel),
            bias=False,
            conv_cfg=dict(type=Conv2plus1dMid,
                          mid_channels=STEM_MID_CHANNELS),
            norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)

    def make_res_layer(self, block: nn.Module, inplanes: int, planes: int,
                       blocks: int, spatial_stride: int = 1,
                       temporal_stride: int = 1,
                       norm_cfg: Optional[Dict] = None,
                       act_cfg: Optional[Dict] = None,
                       **kwargs) -> nn.Module:
        """One stage of torchvision's ``VideoResNet``: each block with the
        middle width of its own channels, a plain 1 x 1 x 1 projection."""
        if block is not BasicBlock3d:
            raise ValueError('R2Plus1D18 is built of BasicBlock3d')
        downsample = None
        if spatial_stride != 1 or inplanes != planes:
            downsample = ConvModule(
                inplanes, planes, kernel_size=1,
                stride=(temporal_stride, spatial_stride, spatial_stride),
                bias=False, conv_cfg=dict(type='Conv3d'),
                norm_cfg=norm_cfg, act_cfg=None)
        layers = []
        for index in range(blocks):
            block_in = inplanes if index == 0 else planes
            layers.append(
                BasicBlock3d(
                    block_in, planes,
                    spatial_stride=spatial_stride if index == 0 else 1,
                    temporal_stride=temporal_stride if index == 0 else 1,
                    downsample=downsample if index == 0 else None,
                    inflate=True,
                    conv_cfg=dict(
                        type=Conv2plus1dMid,
                        mid_channels=r2plus1d_mid_channels(block_in, planes)),
                    norm_cfg=norm_cfg, act_cfg=act_cfg))
        return nn.Sequential(*layers)

    def forward(self, clips: torch.Tensor
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Features of clips.

        Args:
            clips (torch.Tensor): Normalised clips [N, 3, T, H, W].

        Returns:
            torch.Tensor | tuple[torch.Tensor]: [N, 512] with
            ``global_pool``, else the maps of ``out_indices``.
        """
        maps = super().forward(clips)
        if self.global_pool:
            return F.adaptive_avg_pool3d(maps, 1).flatten(1)
        return maps
