import math
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
    groups: int = param(1, "Groups of each bottleneck's 3x3 convolution: ResNeXt's cardinality C "
                           "(1 = ResNet; a bottleneck block only).", low=1, high=256)
    width_per_group: int = param(64, "Channels per group of the bottleneck's 3x3 convolution at a "
                                     "stage width of 64: ResNeXt's d (32x4d: groups 32, 4); 128 with "
                                     "groups 1 is Wide ResNet-50-2.", low=1, high=1024)
    in_channels: int = common.in_channels()
    num_classes: int = common.num_classes()

    def check(self):
        if self.block == "basic" and (self.groups, self.width_per_group) != (1, 64):
            name = "groups" if self.groups != 1 else "width_per_group"
            raise self.error(name, "groups and width_per_group shape the bottleneck's 3x3 "
                             "convolution; a basic block has none", "use block=bottleneck",
                             code="grouped_basic", suggestion={"block": "bottleneck",
                                                                **self._enough_width()})
        if self.block == "bottleneck" and arch.bottleneck_width(self.width, 1, self.width_per_group) < 1:
            raise self.error("width_per_group", f"leaves the first stage's {self.width}-channel "
                             "bottleneck 0 channels per group", f"use width_per_group ≥ "
                             f"{self._enough_width()['width_per_group']}", code="width_per_group",
                             suggestion=self._enough_width(), width=self.width,
                             min=self._enough_width()["width_per_group"])

    def _enough_width(self) -> dict:
        """width_per_group that gives every group of the first stage at least one channel."""
        if arch.bottleneck_width(self.width, 1, self.width_per_group) >= 1:
            return {}
        return {"width_per_group": math.ceil(64 / self.width)}

    def default_input(self):
        return common.image_input(self, 224 if self.stem == "imagenet" else 32)


register_family("resnet", "ResNet", ResNetConfig, arch, arch.resnet)

for _name, _block, _layers in (("resnet18", "basic", (2, 2, 2, 2)), ("resnet34", "basic", (3, 4, 6, 3)),
                               ("resnet50", "bottleneck", (3, 4, 6, 3)),
                               ("resnet101", "bottleneck", (3, 4, 23, 3)),
                               ("resnet152", "bottleneck", (3, 8, 36, 3))):
    register_preset(_name, "resnet", "torchvision", "torchvision (He et al. 2016, ImageNet)",
                    block=_block, layers=_layers)
# ResNeXt (Xie et al. 2017) and Wide ResNet (Zagoruyko & Komodakis 2016) as torchvision builds them.
for _name, _layers, _groups, _width in (("resnext50_32x4d", (3, 4, 6, 3), 32, 4),
                                        ("resnext101_32x8d", (3, 4, 23, 3), 32, 8),
                                        ("resnext101_64x4d", (3, 4, 23, 3), 64, 4),
                                        ("wide_resnet50_2", (3, 4, 6, 3), 1, 128),
                                        ("wide_resnet101_2", (3, 4, 23, 3), 1, 128)):
    _paper = "Xie et al. 2017" if _groups > 1 else "Zagoruyko & Komodakis 2016"
    register_preset(_name, "resnet", "torchvision", f"torchvision ({_paper}, ImageNet)",
                    block="bottleneck", layers=_layers, groups=_groups, width_per_group=_width)
register_preset("d2l_resnet18", "resnet", "d2l", "d2l 7.6: Residual blocks with bias and 1x1 conv "
                "shortcuts", input_size=96, shortcut="conv", conv_bias=True, in_channels=1,
                num_classes=10)
for _depth in (20, 32, 56, 110):
    _n = (_depth - 2) // 6
    register_preset(f"resnet{_depth}_cifar", "resnet", "paper",
                    f"ResNet-{_depth} for CIFAR-10 (He et al. 2016, Sec. 4.2, option A shortcuts)",
                    layers=(_n,) * 3, width=16, stem="cifar", shortcut="pad", num_classes=10)
