from dataclasses import dataclass

from ..architectures import resnet as arch
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param
from . import common


@dataclass(frozen=True)
class ResNetConfig(ArchConfig):
    block: str = param("basic", "Residual block: 'basic' (two 3x3 convs) or 'bottleneck' "
                                "(1x1, 3x3, 1x1 with 4x expansion).", choices=("basic", "bottleneck"))
    layers: tuple = param((2, 2, 2, 2), "Residual blocks per stage; each later stage halves H, W "
                                        "and doubles the channels.", low=1, high=128, max_len=6)
    width: int = param(64, "Channels of the stem and the first stage.", low=1, high=1024)
    preact: bool = param(False, "Pre-activation ordering BN-ReLU-conv (ResNet v2).")
    stem: str = param("imagenet", "Stem: 'imagenet' (7x7/2 conv + max pool) or 'cifar' (3x3 conv).",
                      choices=("imagenet", "cifar"))
    shortcut: str = param("projection", "Shortcut when shapes change: 'projection' (1x1 conv + BN), "
                                        "'conv' (1x1 conv, d2l) or 'pad' (zero-pad, no parameters).",
                          choices=("projection", "conv", "pad"))
    conv_bias: bool = param(False, "Give every convolution a bias (the d2l code does).")
    in_channels: int = common.in_channels()
    num_classes: int = common.num_classes()

    def default_input(self):
        return common.image_input(self, 224 if self.stem == "imagenet" else 32)


register_family("resnet", "ResNet", ResNetConfig, arch, arch.resnet)

for _name, _block, _layers in (("resnet18", "basic", (2, 2, 2, 2)), ("resnet34", "basic", (3, 4, 6, 3)),
                               ("resnet50", "bottleneck", (3, 4, 6, 3)),
                               ("resnet101", "bottleneck", (3, 4, 23, 3)),
                               ("resnet152", "bottleneck", (3, 8, 36, 3))):
    register_preset(_name, "resnet", "torchvision", "torchvision (He et al. 2016, ImageNet)",
                    block=_block, layers=_layers)
register_preset("d2l_resnet18", "resnet", "d2l", "d2l 7.6: Residual blocks with bias and 1x1 conv "
                "shortcuts", input_size=96, shortcut="conv", conv_bias=True, in_channels=1,
                num_classes=10)
for _depth in (20, 32, 56, 110):
    _n = (_depth - 2) // 6
    register_preset(f"resnet{_depth}_cifar", "resnet", "paper",
                    f"ResNet-{_depth} for CIFAR-10 (He et al. 2016, Sec. 4.2, option A shortcuts)",
                    layers=(_n,) * 3, width=16, stem="cifar", shortcut="pad", num_classes=10)
