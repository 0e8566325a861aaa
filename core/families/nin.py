from dataclasses import dataclass

from ..architectures import nin as arch
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param
from . import common


@dataclass(frozen=True)
class NiNConfig(ArchConfig):
    channels: tuple = param((96, 256, 384), "Output channels of the first three NiN blocks (the "
                                            "last block outputs num_classes maps).",
                            low=1, high=4096, min_len=3, max_len=3)
    dropout: float = common.dropout(0.5)
    in_channels: int = common.in_channels(1)
    num_classes: int = common.num_classes(10)

    def default_input(self):
        return common.image_input(self, 224)


register_family("nin", "NiN", NiNConfig, arch, arch.nin)
register_preset("d2l_nin", "nin", "d2l", "d2l 7.3: Network in Network on 1x224x224")
