"""Published figures shown as a labelled reference series (never computed by this app)."""

# ImageNet-1k top-1 accuracy (%) of the torchvision weights, as their model cards publish them
# (ImageNet-1k val, single crop); the chart cites this source in both languages (i18n "compare.acc_source").
IMAGENET_TOP1 = {
    "resnet18": 69.758, "resnet34": 73.314, "resnet50": 76.130, "resnet101": 77.374, "resnet152": 78.312,
    "densenet121": 74.434, "densenet161": 77.138, "densenet169": 75.600, "densenet201": 76.896,
}

# The params-vs-depth chart: the paper depths of each family, at ImageNet and CIFAR scale.
DEPTH_SERIES = {
    "series.resnet_imagenet": ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"],
    "series.densenet_imagenet": ["densenet121", "densenet169", "densenet201", "densenet264"],
    "series.resnet_cifar": ["resnet20_cifar", "resnet32_cifar", "resnet56_cifar", "resnet110_cifar"],
    "series.densenet_cifar": ["densenet40_k12", "densenet100_k12", "densenet100_k24", "densenet_bc100_k12",
                              "densenet_bc190_k40", "densenet_bc250_k24"],
}
