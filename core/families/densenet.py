import math
from dataclasses import dataclass

from ..architectures import densenet as arch
from ..architectures.densenet_layout import layout
from ..registry import register_family, register_preset
from ..schema import ArchConfig, param
from . import common


@dataclass(frozen=True)
class DenseNetConfig(ArchConfig):
    growth_rate: int = param(32, "Growth rate k: new channels each dense layer adds.", low=1, high=256)
    block_config: tuple = param((6, 12, 24, 16), "Dense layers in each dense block.",
                                low=1, high=128, min_len=1, max_len=6)
    num_init_features: int = param(64, "Channels k0 produced by the stem convolution.",
                                   low=1, high=1024)
    bn_size: int = param(4, "Bottleneck width factor: a 1x1 conv to bn_size*k channels before the "
                            "3x3 conv (0 = no bottleneck, plain DenseNet).", low=0, high=16)
    compression: float = param(0.5, "Compression θ: a transition keeps floor(θ·m) of m channels.",
                               low=0.01, high=1.0)
    drop_rate: float = param(0.0, "Dropout after each dense layer.", low=0.0, high=0.99)
    stem: str = param("imagenet", "Stem: 'imagenet' (7x7/2 conv + 3x3/2 max pool) or 'cifar' "
                                  "(one 3x3 conv).", choices=("imagenet", "cifar"))
    conv_bias: bool = param(False, "Give every convolution a bias (the d2l code does).")
    memory_efficient: bool = param(False, "Recompute concatenation + BN + ReLU + conv1 in backward "
                                          "(checkpointing) instead of storing them.")
    aggregation: str = param("dense", "How a block's layers read: 'dense' (every earlier output) or "
                                      "'osa' (VoVNet's one-shot aggregation: only the previous layer's; the "
                                      "block concatenates all outputs once, at its end).",
                             choices=("dense", "osa"))
    in_channels: int = common.in_channels()
    num_classes: int = common.num_classes()

    def check(self):
        empty = self._empty_transition(self.compression)
        if empty is not None:
            i, channels = empty
            theta = self._smallest_compression()
            raise self.error("compression", f"leaves transition {i + 1} with 0 of {channels} "
                             "channels", f"use compression ≥ {theta:g}", code="compression",
                             suggestion={"compression": theta}, transition=i + 1,
                             channels=channels, min=theta)

    def _empty_transition(self, compression) -> tuple[int, int] | None:
        """(index, input channels) of the first transition that compression leaves empty."""
        for block in layout(self.num_init_features, self.growth_rate, self.block_config, compression,
                            self.aggregation):
            if block.transition is not None and block.transition[1] < 1:
                return block.index - 1, block.transition[0]
        return None

    def _smallest_compression(self) -> float:
        """Smallest θ in steps of 0.001 that leaves every transition a channel: raising θ for one
        transition changes the channels of the next, so raise it until none is empty."""
        theta = self.compression
        while (empty := self._empty_transition(theta)) is not None:
            theta = math.ceil(1000 / empty[1]) / 1000  # rounded up: 1/3 as 0.333 would still fail
        return theta

    def default_input(self):
        return common.image_input(self, 224 if self.stem == "imagenet" else 32)


register_family("densenet", "DenseNet", DenseNetConfig, arch, arch.densenet)

_TV = "torchvision (Huang et al. 2017, ImageNet)"
register_preset("densenet121", "densenet", "torchvision", _TV)
register_preset("densenet161", "densenet", "torchvision", _TV, growth_rate=48,
                block_config=(6, 12, 36, 24), num_init_features=96)
register_preset("densenet169", "densenet", "torchvision", _TV, block_config=(6, 12, 32, 32))
register_preset("densenet201", "densenet", "torchvision", _TV, block_config=(6, 12, 48, 32))
register_preset("densenet264", "densenet", "torchvision", "DenseNet-264 of the paper's Table 1",
                block_config=(6, 12, 64, 48))
register_preset("d2l_densenet", "densenet", "d2l", "d2l 7.7: four blocks of 4 plain layers, k=32",
                input_size=96, growth_rate=32, block_config=(4, 4, 4, 4), num_init_features=64,
                bn_size=0, compression=0.5, conv_bias=True, in_channels=1, num_classes=10)

# The paper's CIFAR models (Table 2): L = 3 blocks * n layers + 4 (plain) or 6n + 4 (bottleneck).
_CIFAR = dict(stem="cifar", in_channels=3, num_classes=10)
for _name, _depth, _k in (("densenet40_k12", 40, 12), ("densenet100_k12", 100, 12),
                          ("densenet100_k24", 100, 24)):
    _n = (_depth - 4) // 3
    register_preset(_name, "densenet", "paper", f"DenseNet (L={_depth}, k={_k}), CIFAR",
                    growth_rate=_k, block_config=(_n,) * 3, num_init_features=16, bn_size=0,
                    compression=1.0, **_CIFAR)
for _name, _depth, _k in (("densenet_bc100_k12", 100, 12), ("densenet_bc250_k24", 250, 24),
                          ("densenet_bc190_k40", 190, 40)):
    _n = (_depth - 4) // 6
    register_preset(_name, "densenet", "paper", f"DenseNet-BC (L={_depth}, k={_k}), CIFAR",
                    growth_rate=_k, block_config=(_n,) * 3, num_init_features=2 * _k, bn_size=4,
                    compression=0.5, **_CIFAR)
