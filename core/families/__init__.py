"""Typed configs and presets, one module per family. Importing this package registers them all."""
from . import alexnet, densenet, googlenet, lenet, nin, regnet, resnet, vgg  # noqa: F401  (registration)
