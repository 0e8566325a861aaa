"""LeNet-5 with batch normalisation (LeCun et al., 1998; Ioffe & Szegedy, 2015), as in d2l."""
from torch import nn


def feature_size(input_size, kernel_size):
    """Side of the map after two (conv k, valid) + (2x2 pool) stages."""
    side = input_size
    for _ in range(2):
        side = (side - kernel_size + 1) // 2
    return side


class LeNet(nn.Module):
    def __init__(self, channels=(6, 16), kernel_size=5, hidden=(120, 84), batch_norm=True,
                 activation="sigmoid", pool="avg", input_size=28, in_channels=1, num_classes=10):
        super().__init__()

        def act():
            return nn.Sigmoid() if activation == "sigmoid" else nn.ReLU()

        def norm(n, dims):
            return [(nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(n)] if batch_norm else []

        pool_layer = nn.AvgPool2d if pool == "avg" else nn.MaxPool2d
        c1, c2 = channels
        h1, h2 = hidden
        side = feature_size(input_size, kernel_size)
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size), *norm(c1, 2), act(), pool_layer(2, stride=2),
            nn.Conv2d(c1, c2, kernel_size), *norm(c2, 2), act(), pool_layer(2, stride=2),
            nn.Flatten(),
            nn.Linear(c2 * side * side, h1), *norm(h1, 1), act(),
            nn.Linear(h1, h2), *norm(h2, 1), act(),
            nn.Linear(h2, num_classes))

    def forward(self, x):
        return self.net(x)


def lenet(**config):
    return LeNet(**config)
