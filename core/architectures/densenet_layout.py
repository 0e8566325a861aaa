"""The one description of a DenseNet's wiring: per dense block, the channels it receives, what each of
its layers reads, what it hands on and what its transition makes of that.

The model (densenet.py) is built from it, the family's check reads it, and the weights-only readers
(the checkpoint loader, the connection-strength heatmap, the attributions) read the same description
back from a state_dict or a model. Parameter names are torchvision's: features.denseblockB.denselayerL,
features.transitionB.conv, classifier.
"""

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Block:
    """Dense block `index` (1-based, as in its parameter names)."""
    index: int
    k0: int                # channels of the block input
    growth_rate: int       # k: the channels each layer adds
    layers: int            # L
    one_shot: bool         # VoVNet's one-shot aggregation: a layer reads only the layer before it
    # (input, output) channels of the transition after the block; None after the last block
    transition: tuple[int, int] | None

    def reads(self, layer: int) -> int:
        """Input channels of layer `layer` (1-based): k0 + k·(layer − 1), or k in a one-shot block."""
        if layer == 1:
            return self.k0
        return self.growth_rate if self.one_shot else self.k0 + (layer - 1) * self.growth_rate

    @property
    def output(self) -> int:
        """The block's concatenation, in both aggregations: its input and every layer's k channels."""
        return self.k0 + self.layers * self.growth_rate

    def sources(self, count: int | None = None) -> list[slice]:
        """The channel ranges of the block's concatenation, by source: the block input (k0), then each
        layer's k; the first `count` of them (all L + 1 by default)."""
        count = self.layers + 1 if count is None else count
        k0, k = self.k0, self.growth_rate
        return [slice(0, k0)] + [slice(k0 + k * (s - 1), k0 + k * s) for s in range(1, count)]


def compressed(channels: int, compression: float) -> int:
    """Channels after a transition: floor(θ·m), robust to float rounding (0.29 × 100 is 28.999…)."""
    return int(math.floor(channels * compression + 1e-9))


def layout(num_init_features: int, growth_rate: int, block_config, compression: float,
           aggregation: str = "dense") -> list[Block]:
    """The blocks a DenseNet of these hyperparameters has: a transition after every block but the last
    compresses the block's output to floor(θ·m) channels, which the next block receives."""
    blocks, channels = [], num_init_features
    for index, layers in enumerate(block_config, start=1):
        block = Block(index, channels, growth_rate, layers, aggregation == "osa", None)
        channels = block.output
        if index < len(block_config):
            block = replace(block, transition=(channels, compressed(channels, compression)))
            channels = block.transition[1]
        blocks.append(block)
    return blocks


def layout_of(config) -> list[Block]:
    """The layout of a DenseNet config (core/families/densenet.py)."""
    return layout(config.num_init_features, config.growth_rate, config.block_config, config.compression,
                  config.aggregation)


def layer_key(block: int, layer: int, parameter: str = "conv1.weight") -> str:
    return f"features.denseblock{block}.denselayer{layer}.{parameter}"


def transition_key(block: int) -> str:
    return f"features.transition{block}.conv.weight"


def layout_of_state(state: dict) -> list[Block]:
    """The blocks a state_dict's shapes describe, each read from its own weights (a checkpoint's blocks
    need not agree with one another; the architecture check says where they do not): k0 is what the
    first layer reads, k what it makes, one-shot when the second layer reads only k. A missing weight
    that the description needs raises KeyError naming it."""
    blocks = []
    while layer_key(len(blocks) + 1, 1) in state:
        index = len(blocks) + 1
        layers = 1
        while layer_key(index, layers + 1) in state:
            layers += 1
        first = state[layer_key(index, 1)]
        # k is what the 3×3 conv makes: conv2 after a bottleneck, else conv1
        growth = state.get(layer_key(index, 1, "conv2.weight"), first).shape[0]
        one_shot = layers > 1 and state[layer_key(index, 2)].shape[1] == growth
        after = state.get(transition_key(index))
        blocks.append(Block(index, first.shape[1], growth, layers, one_shot,
                            None if after is None else (after.shape[1], after.shape[0])))
    return blocks
