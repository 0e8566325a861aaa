"""GoogLeNet (Szegedy et al., 2015): Inception blocks run four branches in parallel and concatenate.

batch_norm=True, branch3_kernel=3, pool_style="ceil" is torchvision's googlenet (BN after every
convolution, bias-free convolutions, a 3x3 in the "5x5" branch); False/5/"pad" is the d2l code.
"""
import torch
from torch import nn

# (in, c1, (c2 reduce, c2), (c3 reduce, c3), c4) for 3a, 3b | 4a..4e | 5a, 5b
INCEPTION_STAGES = (
    ((192, 64, (96, 128), (16, 32), 32), (256, 128, (128, 192), (32, 96), 64)),
    ((480, 192, (96, 208), (16, 48), 64), (512, 160, (112, 224), (24, 64), 64),
     (512, 128, (128, 256), (24, 64), 64), (512, 112, (144, 288), (32, 64), 64),
     (528, 256, (160, 320), (32, 128), 128)),
    ((832, 256, (160, 320), (32, 128), 128), (832, 384, (192, 384), (48, 128), 128)),
)


def conv_unit(in_channels, out_channels, kernel_size, batch_norm, stride=1, padding=0):
    """Conv + ReLU, or bias-free Conv + BN + ReLU (torchvision's BasicConv2d)."""
    if batch_norm:
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
            nn.BatchNorm2d(out_channels, eps=0.001), nn.ReLU(inplace=True))
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding),
                         nn.ReLU(inplace=True))


def max_pool(pool_style, kernel_size=3):
    if pool_style == "ceil":
        return nn.MaxPool2d(kernel_size, stride=2, ceil_mode=True)
    return nn.MaxPool2d(3, stride=2, padding=1)


class Inception(nn.Module):
    graph_block = "inception block"

    def __init__(self, in_channels, c1, c2, c3, c4, batch_norm, branch3_kernel):
        super().__init__()
        self.branch1 = conv_unit(in_channels, c1, 1, batch_norm)
        self.branch2 = nn.Sequential(conv_unit(in_channels, c2[0], 1, batch_norm),
                                     conv_unit(c2[0], c2[1], 3, batch_norm, padding=1))
        self.branch3 = nn.Sequential(
            conv_unit(in_channels, c3[0], 1, batch_norm),
            conv_unit(c3[0], c3[1], branch3_kernel, batch_norm, padding=branch3_kernel // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                     conv_unit(in_channels, c4, 1, batch_norm))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self, batch_norm=True, branch3_kernel=3, pool_style="ceil", dropout=0.2,
                 in_channels=3, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            conv_unit(in_channels, 64, 7, batch_norm, stride=2, padding=3), max_pool(pool_style),
            conv_unit(64, 64, 1, batch_norm), conv_unit(64, 192, 3, batch_norm, padding=1),
            max_pool(pool_style))
        stages = []
        for i, specs in enumerate(INCEPTION_STAGES):
            stage = [Inception(*spec, batch_norm, branch3_kernel) for spec in specs]
            if i == 0:
                stage.append(max_pool(pool_style))
            elif i == 1:
                stage.append(max_pool(pool_style, kernel_size=2))
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.flatten(self.pool(self.stages(self.stem(x))))
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc(x)


def googlenet(**config):
    return GoogLeNet(**config)
