"""VGG (Simonyan & Zisserman, 2014): repeated blocks of 3x3 convolutions and a 2x2 max pool."""
from torch import nn


class VGGBlock(nn.Sequential):
    """num_convs x (3x3 conv [+ BN] + ReLU), then 2x2 max pooling halves H and W."""
    graph_block = "vgg block"

    def __init__(self, num_convs, in_channels, out_channels, batch_norm):
        layers = []
        for _ in range(num_convs):
            layers.append(nn.Conv2d(in_channels, out_channels, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
            in_channels = out_channels
        layers.append(nn.MaxPool2d(2, stride=2))
        super().__init__(*layers)


def feature_size(input_size, num_blocks, adaptive_pool):
    """Side of the feature map entering the classifier."""
    return adaptive_pool if adaptive_pool > 0 else input_size // 2 ** num_blocks


class VGG(nn.Module):
    def __init__(self, convs_per_block=(1, 1, 2, 2, 2), channels=(64, 128, 256, 512, 512),
                 batch_norm=False, hidden=4096, dropout=0.5, adaptive_pool=7, input_size=224,
                 in_channels=3, num_classes=1000):
        super().__init__()
        blocks = []
        for num_convs, out in zip(convs_per_block, channels, strict=False):
            blocks.append(VGGBlock(num_convs, in_channels, out, batch_norm))
            in_channels = out
        self.features = nn.Sequential(*blocks)
        # adaptive_pool = 0 (d2l): the first Linear is sized for input_size; otherwise any input.
        self.avgpool = nn.AdaptiveAvgPool2d(adaptive_pool) if adaptive_pool > 0 else None
        side = feature_size(input_size, len(channels), adaptive_pool)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * side * side, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes))

    def forward(self, x):
        x = self.features(x)
        if self.avgpool is not None:
            x = self.avgpool(x)
        return self.classifier(x)


def vgg(**config):
    return VGG(**config)
