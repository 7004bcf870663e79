"""Independent re-implementations of torchvision's ResNet and R(2+1)D-18,
module by module under torchvision's own names, so that a torchvision
state dict loads into them unchanged (torchvision does not import beside
the CPU torch used here). Written from torchvision's models/resnet.py and
models/video/resnet.py: the references the backbones are compared with.
"""
from typing import List

import torch
import torch.nn as nn


class ReferenceBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int,
                 downsample: nn.Module = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + shortcut)


class ReferenceBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int,
                 downsample: nn.Module = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        # torchvision strides the 3 x 3 convolution.
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + shortcut)


class ReferenceResNet(nn.Module):
    """torchvision's ``resnet{depth}`` up to ``avgpool``, plus ``fc``."""

    STAGES = {18: (ReferenceBasicBlock, (2, 2, 2, 2)),
              34: (ReferenceBasicBlock, (3, 4, 6, 3)),
              50: (ReferenceBottleneck, (3, 4, 6, 3)),
              152: (ReferenceBottleneck, (3, 8, 36, 3))}

    def __init__(self, depth: int) -> None:
        super().__init__()
        block, counts = self.STAGES[depth]
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for stage, count in enumerate(counts):
            planes, stride = 64 * 2**stage, 1 if stage == 0 else 2
            blocks: List[nn.Module] = []
            for index in range(count):
                downsample = None
                if index == 0 and (stride != 1
                                   or inplanes != planes * block.expansion):
                    downsample = nn.Sequential(
                        nn.Conv2d(inplanes, planes * block.expansion, 1,
                                  stride, bias=False),
                        nn.BatchNorm2d(planes * block.expansion))
                blocks.append(block(inplanes, planes,
                                    stride if index == 0 else 1, downsample))
                inplanes = planes * block.expansion
            setattr(self, f'layer{stage + 1}', nn.Sequential(*blocks))
        self.fc = nn.Linear(inplanes, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features [N, C] (the input of ``fc``)."""
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        for stage in range(1, 5):
            x = getattr(self, f'layer{stage}')(x)
        return x.mean(dim=(2, 3))


def reference_conv2plus1d(inplanes: int, planes: int, midplanes: int,
                          stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(inplanes, midplanes, (1, 3, 3), (1, stride, stride),
                  (0, 1, 1), bias=False),
        nn.BatchNorm3d(midplanes), nn.ReLU(),
        nn.Conv3d(midplanes, planes, (3, 1, 1), (stride, 1, 1), (1, 0, 0),
                  bias=False))


class ReferenceVideoBlock(nn.Module):

    def __init__(self, inplanes: int, planes: int, stride: int,
                 downsample: nn.Module = None) -> None:
        super().__init__()
        midplanes = (inplanes * planes * 27) // (inplanes * 9 + 3 * planes)
        self.conv1 = nn.Sequential(
            reference_conv2plus1d(inplanes, planes, midplanes, stride),
            nn.BatchNorm3d(planes), nn.ReLU())
        self.conv2 = nn.Sequential(
            reference_conv2plus1d(planes, planes, midplanes),
            nn.BatchNorm3d(planes))
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.conv1(x))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + shortcut)


class ReferenceR2Plus1D18(nn.Module):
    """torchvision's ``r2plus1d_18`` up to ``avgpool``, plus ``fc``."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
            nn.BatchNorm3d(45), nn.ReLU(),
            nn.Conv3d(45, 64, (3, 1, 1), 1, (1, 0, 0), bias=False),
            nn.BatchNorm3d(64), nn.ReLU())
        inplanes = 64
        for stage in range(4):
            planes, stride = 64 * 2**stage, 1 if stage == 0 else 2
            downsample = None
            if stride != 1:
                downsample = nn.Sequential(
                    nn.Conv3d(inplanes, planes, 1, stride, bias=False),
                    nn.BatchNorm3d(planes))
            setattr(self, f'layer{stage + 1}', nn.Sequential(
                ReferenceVideoBlock(inplanes, planes, stride, downsample),
                ReferenceVideoBlock(planes, planes, 1)))
            inplanes = planes
        self.fc = nn.Linear(512, 400)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features [N, 512] (the input of ``fc``)."""
        x = self.stem(x)
        for stage in range(1, 5):
            x = getattr(self, f'layer{stage}')(x)
        return x.mean(dim=(2, 3, 4))
