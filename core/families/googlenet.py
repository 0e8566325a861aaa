from dataclasses import dataclass

from ..architectures import googlenet as arch
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param
from . import common


@dataclass(frozen=True)
class GoogLeNetConfig(ArchConfig):
    batch_norm: bool = param(True, "Bias-free convolutions each followed by BN (torchvision) "
                                   "instead of convolutions with bias (d2l).")
    branch3_kernel: int = param(3, "Kernel of the third Inception branch (5 in the paper and d2l, "
                                   "3 in torchvision).", choices=(3, 5))
    pool_style: str = param("ceil", "Stride-2 max pools: 'ceil' (ceil_mode, torchvision) or 'pad' "
                                    "(padding 1, d2l).", choices=("ceil", "pad"))
    dropout: float = common.dropout(0.2)
    in_channels: int = common.in_channels()
    num_classes: int = common.num_classes()

    def default_input(self):
        return common.image_input(self, 224)


register_family("googlenet", "GoogLeNet", GoogLeNetConfig, arch, arch.googlenet)
register_preset("googlenet", "googlenet", "torchvision",
                "torchvision (Szegedy et al. 2015, ImageNet), without auxiliary heads")
register_preset("d2l_googlenet", "googlenet", "d2l", "d2l 7.4: GoogLeNet on 1x96x96",
                input_size=96, batch_norm=False, branch3_kernel=5, pool_style="pad", dropout=0.0,
                in_channels=1, num_classes=10)
