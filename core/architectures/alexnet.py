"""AlexNet (Krizhevsky et al., 2012): five convolutions, three max pools, three dense layers."""
from torch import nn


def feature_size(input_size, first_kernel, first_stride, first_padding, adaptive_pool):
    """Side of the feature map entering the classifier (each max pool is 3x3, stride 2)."""
    if adaptive_pool > 0:
        return adaptive_pool
    side = (input_size + 2 * first_padding - first_kernel) // first_stride + 1
    for _ in range(3):
        side = (side - 3) // 2 + 1
    return side


class AlexNet(nn.Module):
    def __init__(self, channels=(64, 192, 384, 256, 256), first_kernel=11, first_stride=4,
                 first_padding=2, hidden=4096, dropout=0.5, dropout_first=True, adaptive_pool=6,
                 input_size=224, in_channels=3, num_classes=1000):
        super().__init__()
        c1, c2, c3, c4, c5 = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, first_kernel, stride=first_stride, padding=first_padding),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2),
            nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d(adaptive_pool) if adaptive_pool > 0 else None
        side = feature_size(input_size, first_kernel, first_stride, first_padding, adaptive_pool)
        flat = c5 * side * side
        # torchvision drops out before each hidden Linear, d2l after each hidden ReLU.
        if dropout_first:
            head = [nn.Dropout(dropout), nn.Linear(flat, hidden), nn.ReLU(inplace=True),
                    nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True)]
        else:
            head = [nn.Linear(flat, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
                    nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        self.classifier = nn.Sequential(nn.Flatten(), *head, nn.Linear(hidden, num_classes))

    def forward(self, x):
        x = self.features(x)
        if self.avgpool is not None:
            x = self.avgpool(x)
        return self.classifier(x)


def alexnet(**config):
    return AlexNet(**config)
