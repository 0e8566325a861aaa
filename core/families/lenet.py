from dataclasses import dataclass

from ..architectures import lenet as arch
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param, smallest
from . import common


@dataclass(frozen=True)
class LeNetConfig(ArchConfig):
    channels: tuple = param((6, 16), "Output channels of the two convolutions.",
                            low=1, high=1024, min_len=2, max_len=2)
    kernel_size: int = param(5, "Kernel size of both convolutions (no padding).", low=1, high=11)
    hidden: tuple = param((120, 84), "Widths of the two hidden dense layers.",
                          low=1, high=8192, min_len=2, max_len=2)
    batch_norm: bool = param(True, "Batch normalisation after every conv and hidden dense layer.")
    activation: str = param("sigmoid", "Activation function.", choices=("sigmoid", "relu"))
    pool: str = param("avg", "2x2 pooling kind.", choices=("avg", "max"))
    input_size: int = common.input_size(28)
    in_channels: int = common.in_channels(1)
    num_classes: int = common.num_classes(10)

    def check(self):
        def fits(side):
            return arch.feature_size(side, self.kernel_size) >= 1
        if not fits(self.input_size):
            side = smallest(fits, 8, 1024)
            raise self.error("input_size", f"is too small for two {self.kernel_size}x"
                             f"{self.kernel_size} conv + 2x2 pool stages",
                             f"use input_size ≥ {side} or a smaller kernel_size", code="input_size",
                             suggestion={"input_size": side}, kernel_size=self.kernel_size, min=side)

    def default_input(self):
        return common.image_input(self, "input_size")


register_family("lenet", "LeNet", LeNetConfig, arch, arch.lenet)
register_preset("d2l_lenet_bn", "lenet", "d2l", "d2l 7.5: LeNet with batch normalisation")
