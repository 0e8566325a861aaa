"""DenseNet connection strength (Huang et al. 2017, Fig. 5), computed from weights alone.

Per dense block with L layers, cell (s, ℓ) is the mean |w| over the weights of layer ℓ's first
convolution (conv1: the 1x1 bottleneck in DenseNet-B/BC, the 3x3 conv in a plain layer) whose input
channels come from source s: s = 0 is the block input (k0 channels), s ≥ 1 is layer s's k new
channels. That is the average L1 norm of the weights normalised by the number of input maps. Extra
column: the transition's 1x1 conv after the block, or the classifier's Linear after the last block.
Rows are sources, columns targets; cells where s ≥ ℓ (no connection) are None. In a one-shot
aggregation block (VoVNet's OSA, `aggregation="osa"`) layer ℓ reads only source ℓ − 1, so its column
has that one cell; the transition after it still reads every source.
"""
from __future__ import annotations

import torch

from .architectures.densenet_layout import layer_key, layout_of_state, transition_key
from .checkpoints import CheckpointError, guess_family

NORMALIZATIONS = ("none", "target", "global")


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
    if layer_key(1, 1) not in state:
        family = guess_family(state, metadata or {})
        article = "an" if family[:1] in "aeiou" else "a"
        raise CheckpointError(f"heatmap applies to DenseNets; this checkpoint is {article} "
                              f"{dict(resnet='ResNet').get(family, family)}")
    blocks = []
    plans = layout_of_state(state)
    for plan in plans:
        b, rows = plan.index, plan.layers + 1
        columns = [_one_source(state[layer_key(b, layer)], layer - 1, rows) if plan.one_shot and layer > 1
                   else _column(state[layer_key(b, layer)], plan.sources(layer), rows)
                   for layer in range(1, rows)]
        targets = [f"layer {i}" for i in range(1, rows)]
        after, name_after = state.get(transition_key(b)), f"transition {b}"
        if after is None and plan is plans[-1]:
            after, name_after = state.get("classifier.weight"), "classifier"
        if after is not None and after.shape[1] == plan.output:
            columns.append(_column(after, plan.sources(), rows))
            targets.append(name_after)
        matrix = [[col[s] for col in columns] for s in range(rows)]  # rows = sources
        blocks.append(dict(name=f"dense block {b}", k0=plan.k0, growth_rate=plan.growth_rate,
                           one_shot=plan.one_shot, targets=targets, matrix=matrix,
                           sources=["block input"] + [f"layer {s}" for s in range(1, rows)]))
    _normalize(blocks, normalize)
    return {"normalize": normalize, "blocks": blocks}


def _one_source(weight: torch.Tensor, source: int, rows: int) -> list[float | None]:
    """A one-shot layer's column: the mean |w| of all its weights, in the row of the one source."""
    column: list[float | None] = [None] * rows
    column[source] = float(weight.detach().abs().double().mean())
    return column


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


# ---- the paper's four observations (Huang et al. 2017, §5 "Feature Reuse") ------------------------
# Each is tested on the checkpoint's own weights, per target column divided by its maximum (so every
# layer's strongest source is 1). The thresholds are stated with the result, so the page's claim can
# be checked by eye against the heatmap.
STRONG = 0.5  # a source "contributes" to a target when it reaches half of that target's strongest


def _dense_columns(block: dict) -> list[list[float]]:
    """The per-target-normalised values of each dense-layer column (None cells dropped)."""
    matrix = block["matrix"]
    columns = []
    for j, target in enumerate(block["targets"]):
        if target.startswith("layer"):
            columns.append([row[j] for row in matrix if row[j] is not None])
    return columns


def _extra_column(block: dict, kind: str) -> list[float] | None:
    if not block["targets"][-1].startswith(kind):
        return None
    return [row[-1] for row in block["matrix"] if row[-1] is not None]


def _share_strong(values: list[float]) -> float:
    return sum(v >= STRONG for v in values) / len(values)


def paper_observations(heatmap: dict) -> list[dict]:
    """The four observations of the paper's §5, each with `holds` (True/False, None where this
    network cannot show it) and the figures it was decided on. `heatmap` is connection_strength()
    with normalize="target"."""
    if heatmap["normalize"] != "target":
        raise ValueError("paper_observations needs the per-target ('target') normalisation")
    blocks = heatmap["blocks"]
    # 1. Layers spread their weights over many inputs of the same block: on average a layer's sources
    # (ℓ ≥ 2, which have more than one) reach ≥ 0.5 of its strongest in at least half the cases.
    spread = [_share_strong(col) for b in blocks for col in _dense_columns(b) if len(col) > 1]
    reuse = sum(spread) / len(spread) if spread else None
    # 2. Transition layers spread their weights across all layers of the preceding block.
    transitions = [c for b in blocks if (c := _extra_column(b, "transition"))]
    trans_share = min(map(_share_strong, transitions)) if transitions else None
    # 3. In blocks 2 and 3 the transition's output (source 0) gets the least weight: the share of the
    # dense layers (ℓ ≥ 2) whose weakest source is source 0.
    weakest = [col.index(min(col)) == 0 for b in blocks[1:] for col in _dense_columns(b) if len(col) > 1]
    least_input = sum(weakest) / len(weakest) if weakest else None
    # 4. The classifier concentrates on the final feature maps: the mean strength of the last quarter
    # of its sources against the mean of the others.
    classifier = next((c for b in blocks if (c := _extra_column(b, "classifier"))), None)
    late_ratio = None
    if classifier and len(classifier) >= 4:
        cut = len(classifier) - max(1, len(classifier) // 4)
        early, late = classifier[:cut], classifier[cut:]
        late_ratio = (sum(late) / len(late)) / max(sum(early) / len(early), 1e-12)
    return [
        dict(id="spread", value=reuse, holds=None if reuse is None else reuse >= 0.5),
        dict(id="transition", value=trans_share,
             holds=None if trans_share is None else trans_share >= 0.5),
        dict(id="least_input", value=least_input,
             holds=None if least_input is None else least_input > 0.5),
        dict(id="classifier", value=late_ratio,
             holds=None if late_ratio is None else late_ratio > 1.0),
    ]
