"""AnyNet and RegNet (Radosavovic et al. 2020, "Designing Network Design Spaces"; d2l-en 8.8).

AnyNet is a stem, a body of stages and a head. Each stage is a run of ResNeXt-style bottleneck blocks
(1x1, grouped 3x3, 1x1, with a shortcut) of one width; its first block halves H and W. What a stage
is built of is fixed; its depth d_i, width w_i, bottleneck ratio b and group width g are free. RegNet
is the part of that space the paper found good: widths that grow by a quantized linear rule
(`regnet_stages`), b = 1, one g for all stages. RegNetY adds squeeze-and-excitation to every block.
"""
import math

from torch import nn


def regnet_stages(depth, w_0, w_a, w_m, group_width, quantum=8):
    """The RegNet rule: block j gets width u_j = w_0 + w_a·j, snapped to w_0·w_m^s (s a whole number)
    and rounded to a multiple of `quantum`; blocks of one width form a stage. Returns (depths, widths),
    the widths made divisible by the group width as torchvision does."""
    widths = []
    for j in range(depth):
        steps = round(math.log((w_0 + w_a * j) / w_0) / math.log(w_m))
        widths.append(int(round(w_0 * w_m ** steps / quantum) * quantum))
    depths, stage_widths = [], []
    for width in widths:
        if stage_widths and stage_widths[-1] == width:
            depths[-1] += 1
        else:
            stage_widths.append(width)
            depths.append(1)
    return tuple(depths), tuple(_divisible(w, min(group_width, w)) for w in stage_widths)


def _divisible(value, divisor):
    """The multiple of `divisor` nearest `value`, never 10 % below it."""
    snapped = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return snapped + divisor if snapped < 0.9 * value else snapped


def conv_bn(in_channels, out_channels, kernel, stride=1, groups=1, relu=True, bias=False):
    layers = [nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2,
                        groups=groups, bias=bias), nn.BatchNorm2d(out_channels)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention (Hu et al. 2018): pool each channel to one number, squeeze, expand, and scale
    the channels by the sigmoid of the result."""

    def __init__(self, channels, squeezed):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeezed, 1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(squeezed, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        return x * self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))


class XBlock(nn.Module):
    """RegNet's block: 1x1 to round(b·w) channels, a 3x3 in groups of `group_width` channels (it
    carries the stride), optional squeeze-and-excitation, 1x1 back to w; a 1x1 projection shortcut
    where the shape changes."""
    graph_block = "x block"

    def __init__(self, in_channels, width, stride, group_width, bottleneck_ratio, se_ratio, conv_bias):
        super().__init__()
        inner = int(round(width * bottleneck_ratio))
        self.a = conv_bn(in_channels, inner, 1, bias=conv_bias)
        self.b = conv_bn(inner, inner, 3, stride, groups=inner // group_width, bias=conv_bias)
        # The squeeze is sized from the block's input width, as in the paper's code.
        self.se = SqueezeExcite(inner, int(round(se_ratio * in_channels))) if se_ratio else None
        self.c = conv_bn(inner, width, 1, relu=False, bias=conv_bias)
        self.proj = conv_bn(in_channels, width, 1, stride, relu=False, bias=conv_bias) \
            if stride != 1 or in_channels != width else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.b(self.a(x))
        if self.se is not None:
            y = self.se(y)
        shortcut = x if self.proj is None else self.proj(x)
        return self.relu(self.c(y) + shortcut)


class AnyNet(nn.Module):
    def __init__(self, stem_width=32, depths=(1, 2, 7, 12), widths=(32, 64, 160, 400), group_width=16,
                 bottleneck_ratio=1.0, se_ratio=0.0, conv_bias=False, in_channels=3, num_classes=1000):
        super().__init__()
        self.stem = conv_bn(in_channels, stem_width, 3, stride=2, bias=conv_bias)
        channels = stem_width
        for i, (depth, width) in enumerate(zip(depths, widths)):
            blocks = [XBlock(channels if j == 0 else width, width, 2 if j == 0 else 1, group_width,
                             bottleneck_ratio, se_ratio, conv_bias) for j in range(depth)]
            self.add_module(f"stage{i + 1}", nn.Sequential(*blocks))
            channels = width
        self.num_stages = len(depths)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.stem(x)
        for i in range(self.num_stages):
            x = getattr(self, f"stage{i + 1}")(x)
        return self.fc(self.flatten(self.pool(x)))


def regnet(**config):
    return AnyNet(**config)
