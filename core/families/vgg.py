from dataclasses import dataclass

from ..architectures import vgg as arch
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param, smallest
from . import common


@dataclass(frozen=True)
class VGGConfig(ArchConfig):
    convs_per_block: tuple = param((1, 1, 2, 2, 2), "3x3 convolutions in each VGG block.",
                                   low=1, high=16, max_len=8)
    channels: tuple = param((64, 128, 256, 512, 512), "Output channels of each VGG block.",
                            low=1, high=4096, max_len=8)
    batch_norm: bool = param(False, "Batch normalisation after every convolution.")
    hidden: int = param(4096, "Width of the two hidden dense layers.", low=1, high=16384)
    dropout: float = common.dropout(0.5)
    adaptive_pool: int = common.adaptive_pool(7)
    input_size: int = common.input_size(224)
    in_channels: int = common.in_channels()
    num_classes: int = common.num_classes()

    def check(self):
        if len(self.channels) != len(self.convs_per_block):
            blocks = len(self.convs_per_block)
            fitted = (tuple(self.channels) + (self.channels[-1],) * blocks)[:blocks]
            raise self.error("channels", f"has {len(self.channels)} entries but convs_per_block has "
                             f"{blocks}", "give one channel count per block", code="channels",
                             suggestion={"channels": fitted}, count=len(self.channels), blocks=blocks)
        def fits(side):
            return arch.feature_size(side, len(self.channels), self.adaptive_pool) >= 1
        if not fits(self.input_size):
            side = smallest(fits, 8, 1024)
            raise self.error("input_size", f"is halved {len(self.channels)} times to nothing",
                             f"use input_size ≥ {side} or fewer blocks", code="input_size",
                             suggestion={"input_size": side}, blocks=len(self.channels), min=side)

    def default_input(self):
        return common.image_input(self, "input_size")


register_family("vgg", "VGG", VGGConfig, arch, arch.vgg)

_ARCHS = {"vgg11": (1, 1, 2, 2, 2), "vgg13": (2, 2, 2, 2, 2), "vgg16": (2, 2, 3, 3, 3),
          "vgg19": (2, 2, 4, 4, 4)}
for _name, _convs in _ARCHS.items():
    for _bn in (False, True):
        register_preset(_name + ("_bn" if _bn else ""), "vgg", "torchvision",
                        "torchvision (Simonyan & Zisserman 2014, ImageNet)",
                        convs_per_block=_convs, batch_norm=_bn)
register_preset("d2l_vgg11", "vgg", "d2l", "d2l 7.2: VGG-11 on 1x224x224, 10 classes",
                input_size=224, adaptive_pool=0, in_channels=1, num_classes=10)
register_preset("d2l_vgg11_small", "vgg", "d2l", "d2l 7.2: VGG-11 with channels divided by 4",
                input_size=224, channels=(16, 32, 64, 128, 128), adaptive_pool=0, in_channels=1,
                num_classes=10)
