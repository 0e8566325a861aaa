import math
from dataclasses import dataclass

from ..architectures import regnet as arch
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param
from . import common


@dataclass(frozen=True)
class RegNetConfig(ArchConfig):
    stem_width: int = param(32, "Channels of the stem (one 3x3 stride-2 convolution).", low=1, high=1024)
    depths: tuple = param((1, 2, 7, 12), "Blocks d_i in each stage; each stage's first block halves "
                                         "H and W.", low=1, high=64, max_len=8)
    widths: tuple = param((32, 64, 160, 400), "Output channels w_i of each stage.", low=1, high=2048,
                          max_len=8)
    group_width: int = param(16, "Channels g per group of every block's 3x3 convolution (its groups: "
                                 "bottleneck width / g).", low=1, high=256)
    bottleneck_ratio: float = param(1.0, "Bottleneck ratio b: a block's 3x3 runs on round(b·w_i) "
                                         "channels (RegNet: 1, no bottleneck).", low=0.25, high=4.0)
    se_ratio: float = param(0.0, "Squeeze-and-excitation (RegNetY): squeeze to round(r·input width) "
                                 "channels; 0 = none (RegNetX).", low=0.0, high=1.0)
    conv_bias: bool = param(False, "Give every convolution a bias (the d2l code does).")
    in_channels: int = common.in_channels()
    num_classes: int = common.num_classes()

    def check(self):
        if len(self.widths) != len(self.depths):
            raise self.error("widths", f"has {len(self.widths)} entries but depths has "
                             f"{len(self.depths)}", "give one width per stage", code="widths",
                             suggestion={"widths": _one_per_stage(self.widths, len(self.depths))},
                             count=len(self.widths), stages=len(self.depths))
        for stage, width in enumerate(self.widths, 1):
            if not self._fits_groups(width):
                fixed = [w if self._fits_groups(w) else self._fitting_width(w) for w in self.widths]
                raise self.error("widths", f"gives stage {stage} a {self._inner(width)}-channel 3x3 "
                                 f"convolution that groups of {self.group_width} channels do not "
                                 "divide", f"use widths={','.join(map(str, fixed))} or another "
                                 "group_width", code="group_width", suggestion={"widths": fixed},
                                 stage=stage, channels=self._inner(width), group_width=self.group_width)
        narrowest = min(self.stem_width, *self.widths)
        if self.se_ratio and round(self.se_ratio * narrowest) < 1:
            smallest = math.ceil(510 / narrowest) / 1000  # round() halves to even: 0.5 is 0
            raise self.error("se_ratio", f"squeezes a {narrowest}-channel block to 0 channels",
                             f"use se_ratio ≥ {smallest:g} or 0", code="se_ratio",
                             suggestion={"se_ratio": smallest}, channels=narrowest, min=smallest)

    def _inner(self, width: int) -> int:
        return int(round(width * self.bottleneck_ratio))

    def _fits_groups(self, width: int) -> bool:
        inner = self._inner(width)
        return inner >= self.group_width and inner % (inner // self.group_width) == 0

    def _fitting_width(self, width: int) -> int:
        """The width nearest `width` whose bottleneck is a multiple of the group width (one exists
        within the bounds: b ≥ 0.25 gives 2048 a bottleneck of at least 512 ≥ g)."""
        def fits(w):
            return 1 <= w <= 2048 and self._inner(w) >= self.group_width and \
                self._inner(w) % self.group_width == 0
        return next(w for step in range(2048) for w in (width + step, width - step) if fits(w))

    def default_input(self):
        return common.image_input(self, 224)


def _one_per_stage(widths: tuple, stages: int) -> list[int]:
    """`widths` cut or extended (doubling the last) to `stages` entries."""
    out = list(widths[:stages])
    while len(out) < stages:
        out.append(min(2 * out[-1], 2048))
    return out


register_family("regnet", "AnyNet / RegNet", RegNetConfig, arch, arch.regnet)

# torchvision's RegNets: the paper's (depth, w_0, w_a, w_m, g) through the width rule.
for _name, _rule, _se in (("regnet_x_400mf", (22, 24, 24.48, 2.54, 16), 0.0),
                          ("regnet_x_800mf", (16, 56, 35.73, 2.28, 16), 0.0),
                          ("regnet_x_1_6gf", (18, 80, 34.01, 2.25, 24), 0.0),
                          ("regnet_x_3_2gf", (25, 88, 26.31, 2.25, 48), 0.0),
                          ("regnet_y_400mf", (16, 48, 27.89, 2.09, 8), 0.25),
                          ("regnet_y_800mf", (14, 56, 38.84, 2.4, 16), 0.25)):
    _depths, _widths = arch.regnet_stages(*_rule)
    register_preset(_name, "regnet", "torchvision",
                    f"torchvision (Radosavovic et al. 2020, ImageNet): depth {_rule[0]}, w_0 {_rule[1]}, "
                    f"w_a {_rule[2]}, w_m {_rule[3]}, g {_rule[4]}", depths=_depths, widths=_widths,
                    group_width=_rule[4], se_ratio=_se)
register_preset("d2l_regnetx32", "regnet", "d2l", "d2l-en 8.8: RegNetX32, two stages (4, 32) and (6, 80), "
                "groups of 16", input_size=96, stem_width=32, depths=(4, 6), widths=(32, 80), group_width=16,
                conv_bias=True, in_channels=1, num_classes=10)
