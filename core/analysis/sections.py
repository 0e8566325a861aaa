"""A network as the chapter compares networks: its stem, its stages (one per feature-map side), the
transitions between them and its head, each with the operation that joins its paths, its output
channels and its parameters. Two networks' sections align by role and side (the Compare page pairs
them), so ResNet-50 and DenseNet-121 read side by side: add against concatenate, stage by stage."""
from __future__ import annotations

from .channels import channel_growth
from .graph import build_graph
from .trace import Trace

# How a block joins its paths (the block classes' graph_block names, core/architectures/).
JOINS = {"residual block": "add", "x block": "add", "dense block": "concatenate",
         "inception block": "concatenate", "nin block": "none", "vgg block": "none"}
ONE_SHOT = "one-shot aggregation"


def sections(trace: Trace) -> list[dict]:
    """[{role: stem | stage | transition | head, side, names, join, units, unit, out_channels,
    params}] in order: `units` counts a stage's blocks (`unit` "blocks"), else layers (a dense
    block's dense layers; the traced layers of the rest); `side` is the output side."""
    nodes = [n for n in build_graph(trace, "block")["nodes"] if n["kind"] != "input"]
    dense = {b["name"]: b for b in channel_growth(trace)["dense_blocks"]}
    blocks = [i for i, n in enumerate(nodes) if n["kind"] == "block"]
    if not blocks:  # a plain chain: its convolutional part, then the layers after the last map
        maps = [i for i, n in enumerate(nodes) if len(n["output_shape"]) == 4]
        cut = maps[-1] + 1 if maps else 0
        return [s for s in (_section("stage", nodes[:cut], dense), _section("head", nodes[cut:], dense))
                if s["names"]]
    first, last = blocks[0], blocks[-1]
    out = [_section("stem", nodes[:first], dense)] if first else []
    current: list[dict] = []
    for node in nodes[first:last + 1]:
        if node["block"] == "transition" or (node["kind"] != "block" and current
                                              and _side(node) != _side(current[-1])):
            out.append(_section("stage", current, dense))
            out.append(_section("transition", [node], dense))
            current = []
        elif current and node["kind"] == "block" and _side(node) != _side(current[-1]):
            out.append(_section("stage", current, dense))
            current = [node]
        else:
            current.append(node)
    if current:
        out.append(_section("stage", current, dense))
    out.append(_section("head", nodes[last + 1:], dense))
    return [s for s in out if s["names"]]


def _side(node: dict) -> int | None:
    shape = node["output_shape"]
    return shape[2] if len(shape) == 4 else None


def _section(role: str, nodes: list[dict], dense: dict) -> dict:
    blocks = [n for n in nodes if n["kind"] == "block"]
    joins = {_join(n, dense) for n in blocks} or {"none"}
    counted_as_blocks = role == "stage" and blocks and not any(n["path"] in dense for n in blocks)
    if counted_as_blocks:
        units = sum(n["count"] for n in blocks)
    else:  # a dense block's layers, or the layers of a stem, a transition, a head
        units = sum(len(dense[n["path"]]["layer_inputs"]) if n["path"] in dense else n["members"]
                    for n in nodes)
    last = nodes[-1] if nodes else None
    return {"role": role, "side": _side(last) if last else None, "names": [n["path"] for n in nodes],
            "join": " + ".join(sorted(joins)), "units": units,
            "unit": "blocks" if counted_as_blocks else "layers",
            "out_channels": last["output_shape"][1] if last else None,
            "params": sum(n["params"] for n in nodes)}


def _join(node: dict, dense: dict) -> str:
    if node["path"] in dense and dense[node["path"]]["one_shot"]:
        return ONE_SHOT
    return JOINS.get(node["block"], "none")


def channel_curve(trace: Trace) -> list[dict]:
    """[{depth, channels, name}] for every convolution and dense layer: the channels it reads, at its
    depth (the most convolutions and dense layers on a path from the input to it, itself included).
    A DenseNet's rise layer by layer inside a block and halve at each transition; a ResNet's bottleneck
    reads 4× what its 3×3 convolution does."""
    depth: dict[str, int] = {}
    curve = []
    for node in trace.nodes:
        weighted = node.op in ("Conv2d", "Linear")
        depth[node.id] = max((depth[i] for i in node.inputs if i in depth), default=0) + weighted
        if weighted:
            curve.append({"depth": depth[node.id], "channels": node.input_shapes[0][1], "name": node.path})
    return curve
