"""Network in Network (Lin et al., 2013): conv + two 1x1 convs per block, no dense layers."""
from torch import nn


class NiNBlock(nn.Sequential):
    """A spatial convolution followed by two 1x1 convolutions (a per-pixel MLP)."""
    graph_block = "nin block"

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 1), nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 1), nn.ReLU(inplace=True))


class NiN(nn.Module):
    def __init__(self, channels=(96, 256, 384), dropout=0.5, in_channels=1, num_classes=10):
        super().__init__()
        c1, c2, c3 = channels
        # The last block outputs one map per class; global average pooling replaces the MLP head.
        self.net = nn.Sequential(
            NiNBlock(in_channels, c1, 11, 4, 0), nn.MaxPool2d(3, stride=2),
            NiNBlock(c1, c2, 5, 1, 2), nn.MaxPool2d(3, stride=2),
            NiNBlock(c2, c3, 3, 1, 1), nn.MaxPool2d(3, stride=2),
            nn.Dropout(dropout),
            NiNBlock(c3, num_classes, 3, 1, 1),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.net(x)


def nin(**config):
    return NiN(**config)
