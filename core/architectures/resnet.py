"""ResNet (He et al., 2016): each block learns a residual f(x) - x added to a shortcut.

Covers torchvision's ResNets (post-activation, projection shortcuts with BN), the d2l Residual
(convs with bias, plain 1x1 conv shortcut), pre-activation ordering (BN-ReLU-conv, ResNet v2), the
CIFAR ResNets of the paper (3x3 stem, zero-padding "option A" shortcuts), and through the bottleneck's
3x3 convolution ResNeXt (Xie et al. 2017: `groups` paths of `width_per_group` channels each) and Wide
ResNet (Zagoruyko & Komodakis 2016: a wider bottleneck, torchvision's width_per_group=128).
"""
from collections import OrderedDict

import torch.nn.functional as F
from torch import nn


class PadShortcut(nn.Module):
    """Option A: subsample by the stride and zero-pad the new channels (no parameters)."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.stride = stride
        extra = out_channels - in_channels
        self.pad = (0, 0, 0, 0, extra // 2, extra - extra // 2)

    def forward(self, x):
        return F.pad(x[:, :, ::self.stride, ::self.stride], self.pad)


def bottleneck_width(channels, groups, width_per_group):
    """Channels of a bottleneck's 3x3 convolution: `groups` paths of int(channels·d/64) each, d the
    width per group at the first stage's 64 (torchvision's rule: ResNeXt-50 32×4d has 128 at 64)."""
    return int(channels * width_per_group / 64) * groups


def make_shortcut(kind, in_channels, out_channels, stride, conv_bias):
    if stride == 1 and in_channels == out_channels:
        return None
    if kind == "pad":
        return PadShortcut(in_channels, out_channels, stride)
    conv = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=conv_bias)
    if kind == "conv":  # d2l: a bare 1x1 convolution
        return conv
    return nn.Sequential(conv, nn.BatchNorm2d(out_channels))  # "projection" (torchvision)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions; post-activation (conv-BN-ReLU) or pre-activation (BN-ReLU-conv)."""
    graph_block = "residual block"
    expansion = 1

    def __init__(self, in_channels, channels, stride, preact, shortcut, conv_bias, groups=1,
                 width_per_group=64):
        super().__init__()  # a basic block is never grouped (the config refuses groups > 1 for it)
        out = channels * self.expansion
        self.preact = preact
        self.bn1 = nn.BatchNorm2d(in_channels if preact else channels)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=conv_bias)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, out, 3, padding=1, bias=conv_bias)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = make_shortcut(shortcut, in_channels, out, stride, conv_bias)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        if self.preact:
            y = self.conv2(self.relu(self.bn2(self.conv1(self.relu(self.bn1(x))))))
            return y + identity
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(y + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carries the stride, as in torchvision's v1.5), 1x1 expand by 4. The 3x3 runs
    in `groups` paths of width_per_group·channels/64 channels each: 1 path of `channels` is ResNet."""
    graph_block = "residual block"
    expansion = 4

    def __init__(self, in_channels, channels, stride, preact, shortcut, conv_bias, groups=1,
                 width_per_group=64):
        super().__init__()
        out = channels * self.expansion
        inner = bottleneck_width(channels, groups, width_per_group)
        self.preact = preact
        self.bn1 = nn.BatchNorm2d(in_channels if preact else inner)
        self.conv1 = nn.Conv2d(in_channels, inner, 1, bias=conv_bias)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv2 = nn.Conv2d(inner, inner, 3, stride=stride, padding=1, groups=groups, bias=conv_bias)
        self.bn3 = nn.BatchNorm2d(inner if preact else out)
        self.conv3 = nn.Conv2d(inner, out, 1, bias=conv_bias)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = make_shortcut(shortcut, in_channels, out, stride, conv_bias)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        if self.preact:
            y = self.conv1(self.relu(self.bn1(x)))
            y = self.conv2(self.relu(self.bn2(y)))
            return self.conv3(self.relu(self.bn3(y))) + identity
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        return self.relu(self.bn3(self.conv3(y)) + identity)


class ResNet(nn.Module):
    def __init__(self, block="basic", layers=(2, 2, 2, 2), width=64, preact=False,
                 stem="imagenet", shortcut="projection", conv_bias=False, groups=1, width_per_group=64,
                 in_channels=3, num_classes=1000):
        super().__init__()
        unit = BasicBlock if block == "basic" else Bottleneck
        if stem == "imagenet":
            self.stem = nn.Sequential(OrderedDict(
                conv=nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=conv_bias),
                bn=nn.BatchNorm2d(width), relu=nn.ReLU(inplace=True),
                pool=nn.MaxPool2d(3, stride=2, padding=1)))
        else:  # "cifar": 3x3 convolution, no pooling
            self.stem = nn.Sequential(OrderedDict(
                conv=nn.Conv2d(in_channels, width, 3, padding=1, bias=conv_bias),
                bn=nn.BatchNorm2d(width), relu=nn.ReLU(inplace=True)))
        channels_in = width
        for i, num_blocks in enumerate(layers):
            channels = width * 2 ** i
            blocks = []
            for j in range(num_blocks):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(unit(channels_in, channels, stride, preact, shortcut, conv_bias, groups,
                                   width_per_group))
                channels_in = channels * unit.expansion
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        # Pre-activation blocks end on a convolution, so the head normalises once more (v2).
        self.head = nn.Sequential(nn.BatchNorm2d(channels_in), nn.ReLU(inplace=True)) if preact \
            else None
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels_in, num_classes)
        self.num_stages = len(layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.stem(x)
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        if self.head is not None:
            x = self.head(x)
        return self.fc(self.flatten(self.pool(x)))


def resnet(**config):
    return ResNet(**config)
