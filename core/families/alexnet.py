from dataclasses import dataclass

from ..architectures import alexnet as arch
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param, smallest
from . import common


@dataclass(frozen=True)
class AlexNetConfig(ArchConfig):
    channels: tuple = param((64, 192, 384, 256, 256), "Output channels of the five convolutions.",
                            low=1, high=4096, min_len=5, max_len=5)
    first_kernel: int = param(11, "Kernel size of the first convolution.", low=1, high=15)
    first_stride: int = param(4, "Stride of the first convolution.", low=1, high=8)
    first_padding: int = param(2, "Padding of the first convolution.", low=0, high=8)
    hidden: int = param(4096, "Width of the two hidden dense layers.", low=1, high=16384)
    dropout: float = common.dropout(0.5)
    dropout_first: bool = param(True, "Dropout before each hidden Linear (torchvision) instead of "
                                      "after each hidden ReLU (d2l).")
    adaptive_pool: int = common.adaptive_pool(6)
    input_size: int = common.input_size(224)
    in_channels: int = common.in_channels()
    num_classes: int = common.num_classes()

    def check(self):
        def fits(side):
            return arch.feature_size(side, self.first_kernel, self.first_stride, self.first_padding, 0) >= 1
        if not fits(self.input_size):
            side = smallest(fits, 8, 1024)
            raise self.error("input_size", "leaves no feature map after the three max pools",
                             f"use input_size ≥ {side} or a smaller first_stride", code="input_size",
                             suggestion={"input_size": side}, min=side)
        if self.first_kernel > self.input_size + 2 * self.first_padding:
            kernel = self.input_size + 2 * self.first_padding
            raise self.error("first_kernel", "is larger than the padded input",
                             f"use first_kernel ≤ {kernel} or a larger input_size", code="first_kernel",
                             suggestion={"first_kernel": kernel}, max=kernel)

    def default_input(self):
        return common.image_input(self, "input_size")


register_family("alexnet", "AlexNet", AlexNetConfig, arch, arch.alexnet)
register_preset("alexnet", "alexnet", "torchvision", "torchvision (Krizhevsky et al. 2012, ImageNet)")
register_preset("d2l_alexnet", "alexnet", "d2l", "d2l 7.1: AlexNet on 1x224x224, 10 classes",
                channels=(96, 256, 384, 384, 256), first_padding=1, dropout_first=False,
                adaptive_pool=0, input_size=224, in_channels=1, num_classes=10)
