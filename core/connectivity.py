"""DenseNet connection strength (Huang et al. 2017, Fig. 5), computed from weights alone.

Per dense block with L layers, cell (s, ℓ) is the mean |w| over the weights of layer ℓ's first
convolution (conv1: the 1x1 bottleneck in DenseNet-B/BC, the 3x3 conv in a plain layer) whose input
channels come from source s: s = 0 is the block input (k0 channels), s ≥ 1 is layer s's k new
channels. That is the average L1 norm of the weights normalised by the number of input maps. Extra
column: the transition's 1x1 conv after the block, or the classifier's Linear after the last block.
Rows are sources, columns targets; cells where s ≥ ℓ (no connection) are None.
"""
from __future__ import annotations

import torch

from .checkpoints import CheckpointError, guess_family

NORMALIZATIONS = ("none", "target", "global")


def _key(block: int, layer: int) -> str:
    return f"features.denseblock{block}.denselayer{layer}.conv1.weight"


def _source_slices(k0: int, k: int, count: int) -> list[slice]:
    return [slice(0, k0)] + [slice(k0 + k * (s - 1), k0 + k * s) for s in range(1, count)]


def _column(weight: torch.Tensor, slices: list[slice], rows: int) -> list[float | None]:
    """Mean |w| per source slice of a conv (out, in, kh, kw) or linear (out, in) weight."""
    w = weight.detach().abs().double()
    per_input = (w.flatten(2).mean(dim=(0, 2)) if w.dim() > 2 else w.mean(dim=0)).numpy()
    values = [float(per_input[sl].mean()) for sl in slices]
    return values + [None] * (rows - len(values))


def connection_strength(state: dict[str, torch.Tensor], normalize: str = "none",
                        metadata: dict | None = None) -> dict:
    if normalize not in NORMALIZATIONS:
        raise CheckpointError(f"normalize = {normalize!r}: use one of {', '.join(NORMALIZATIONS)}")
    if _key(1, 1) not in state:
        family = guess_family(state, metadata or {})
        article = "an" if family[:1] in "aeiou" else "a"
        raise CheckpointError(f"heatmap applies to DenseNets; this checkpoint is {article} "
                              f"{dict(resnet='ResNet').get(family, family)}")
    blocks = []
    b = 1
    while _key(b, 1) in state:
        weights = []
        while _key(b, len(weights) + 1) in state:
            weights.append(state[_key(b, len(weights) + 1)])
        L = len(weights)
        k0 = weights[0].shape[1]
        k = weights[1].shape[1] - k0 if L > 1 else _layer_output(state, b)
        rows = L + 1
        columns = [_column(w, _source_slices(k0, k, layer), rows)
                   for layer, w in enumerate(weights, start=1)]
        targets = [f"layer {i}" for i in range(1, L + 1)]
        after = state.get(f"features.transition{b}.conv.weight")
        name_after = f"transition {b}"
        if after is None and _key(b + 1, 1) not in state:
            after, name_after = state.get("classifier.weight"), "classifier"
        if after is not None and after.shape[1] == k0 + k * L:
            columns.append(_column(after, _source_slices(k0, k, rows), rows))
            targets.append(name_after)
        matrix = [[col[s] for col in columns] for s in range(rows)]  # rows = sources
        blocks.append(dict(name=f"dense block {b}", k0=k0, growth_rate=k, sources=
                           ["block input"] + [f"layer {s}" for s in range(1, rows)],
                           targets=targets, matrix=matrix))
        b += 1
    _normalize(blocks, normalize)
    return {"normalize": normalize, "blocks": blocks}


def _layer_output(state, block: int) -> int:
    conv2 = state.get(f"features.denseblock{block}.denselayer1.conv2.weight")
    return (conv2 if conv2 is not None else state[_key(block, 1)]).shape[0]


def _normalize(blocks: list[dict], how: str) -> None:
    """'target': each column divided by its maximum (1 = that layer's strongest source);
    'global': every cell divided by the largest cell of the whole network."""
    if how == "none":
        return
    if how == "global":
        top = max(v for b in blocks for row in b["matrix"] for v in row if v is not None)
        for b in blocks:
            b["matrix"] = [[None if v is None else v / top for v in row] for row in b["matrix"]]
        return
    for b in blocks:
        for j in range(len(b["targets"])):
            top = max(row[j] for row in b["matrix"] if row[j] is not None)
            for row in b["matrix"]:
                if row[j] is not None:
                    row[j] = row[j] / top if top > 0 else 0.0
