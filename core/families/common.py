"""Fields that several families share, declared once."""
from ..schema import param


def in_channels(default=3):
    return param(default, "Channels of the input image (1 = grayscale, 3 = RGB).", low=1, high=64)


def num_classes(default=1000):
    return param(default, "Number of output classes of the classifier.", low=1, high=100_000)


def input_size(default):
    return param(default, "Input height = width the flattening classifier is sized for.",
                 low=8, high=1024)


def adaptive_pool(default):
    return param(default, "Side of the adaptive average pool before the classifier "
                          "(0 = none: the classifier is sized for input_size, as in d2l).",
                 low=0, high=32)


def dropout(default):
    return param(default, "Dropout probability (no parameters).", low=0.0, high=0.99)


def image_input(config, size_field_or_value):
    size = getattr(config, size_field_or_value) if isinstance(size_field_or_value, str) \
        else size_field_or_value
    return (config.in_channels, size, size)
