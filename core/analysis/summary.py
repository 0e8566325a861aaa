"""From a config and an input shape to params, MACs, FLOPs and per-layer rows (the contract JSON)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from ..errors import ConfigError
from ..registry import default_input, preset_of, resolve
from ..schema import ArchConfig
from .receptive import as_row
from .trace import MAX_SIDE, SpatialCollapse, Trace, smallest_valid_side, trace

# Ops whose cost is not a multiply-accumulate; reported apart as output elements, never as FLOPs.
_MAC_OPS = ("Conv1d", "Conv2d", "Conv3d", "Linear")


@dataclass
class Analysis:
    name: str
    trace: Trace

    @property
    def config(self) -> ArchConfig:
        return self.trace.config

    @cached_property
    def layers(self) -> list[dict]:
        """Per-layer rows; `receptive_field` is input pixels (or "whole input"), `jump` input pixels
        between neighbouring outputs (None where the field is the whole input): receptive.py."""
        fields = self.trace.receptive_fields
        rows = []
        for n in self.trace.nodes:
            if n.op == "input":
                continue
            field, jump = as_row(*fields[n.id])
            rows.append(dict(name=n.path, type=n.op, input_shapes=[list(s) for s in n.input_shapes],
                             output_shape=list(n.output_shape), params=n.params, macs=n.macs,
                             receptive_field=field, jump=jump))
        return rows

    @property
    def macs(self) -> int:
        return sum(n.macs for n in self.trace.nodes)

    @property
    def elementwise_ops(self) -> int:
        """Output elements of every non-conv/linear op (BN, activations, pooling, cat, add)."""
        return sum(math.prod(n.output_shape) for n in self.trace.nodes if n.op not in (*_MAC_OPS, "input"))

    @property
    def output_shape(self) -> list[int]:
        return list(self.trace.nodes[-1].output_shape)

    @cached_property
    def depth(self) -> int:
        """Most conv + linear layers on any input-to-output path: how papers count ResNet-50
        (shortcut projections run in parallel) or DenseNet-121."""
        longest: dict[str, int] = {}
        for n in self.trace.nodes:  # execution order is a topological order
            before = max((longest[i] for i in n.inputs if i in longest), default=0)
            longest[n.id] = before + (n.op in _MAC_OPS)
        return longest[self.trace.nodes[-1].id]

    def to_dict(self) -> dict:
        """The `summary --json` contract."""
        t = self.trace
        return {
            "name": self.name, "family": self.config.family, "config": self.config.to_dict(),
            "input_shape": list(t.input_shape), "batch": t.batch, "output_shape": self.output_shape,
            "total_params": t.total_params, "trainable_params": t.trainable_params,
            "macs": self.macs, "flops": t.flops, "elementwise_ops": self.elementwise_ops,
            "depth": self.depth, "layers": self.layers,
        }


def analyze(name_or_config, input_shape=None, batch: int = 1, **overrides) -> Analysis:
    """Analyse a preset, family or config without allocating it (meta device)."""
    config = resolve(name_or_config, **overrides)
    name = name_or_config if isinstance(name_or_config, str) and not overrides else None
    name = name or preset_of(config) or config.family
    if input_shape is None:
        input_shape = default_input(name_or_config, **overrides)
    input_shape = tuple(input_shape)
    try:
        return Analysis(name, trace(config, input_shape, batch))
    except SpatialCollapse as exc:
        c, h, w = input_shape
        side = smallest_valid_side(config, c)
        fix = f"use ≥ {side}×{side}" if side else f"no input up to {MAX_SIDE}×{MAX_SIDE} fits this config"
        raise ConfigError("input_shape", f"input {c}×{h}×{w} is too small for {name}: {exc}; "
                                         f"{fix}", code="input.too_small",
                          args={"channels": c, "height": h, "width": w, "name": name,
                                "where": exc.args_.get("where"), "min": side},
                          suggestion={"input_shape": [c, side, side]} if side else {}) from None
