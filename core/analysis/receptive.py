"""Theoretical receptive field and jump of every layer, from the traced graph.

The receptive field of a layer is the side, in input pixels, of the square of the input that one of
its output positions can depend on; the jump is the number of input pixels between two neighbouring
output positions. A window of k (dilated: d·(k − 1) + 1) at stride s, after a layer with field r and
jump j, gives r + (k − 1)·j and j·s (Araujo et al. 2019, "Computing Receptive Fields of Convolutional
Neural Networks"). Padding does not shrink it: the window still spans k positions. Where paths join
(add, concatenation, multiplication) the field is the largest over the paths. A layer whose every output
depends on every position of its input map — global pooling, or a dense layer over a flattened map,
or anything after a multiplication by such a layer (a squeeze-and-excitation gate) — sees the whole
input (WHOLE). Computed per axis; the larger axis is reported (every preset's windows are square).
"""
from __future__ import annotations

import math

WHOLE = math.inf  # sees the whole input, whatever its size
WHOLE_INPUT = "whole input"  # how rows (summary --json, the graph) say WHOLE


def as_row(field: float, jump: float | None) -> tuple[int | str, int | None]:
    """(receptive_field, jump) as a row holds them: whole numbers, or WHOLE_INPUT and None."""
    return (WHOLE_INPUT, None) if field == WHOLE else (int(field), int(jump))


def receptive_fields(nodes) -> dict[str, tuple[float, float | None]]:
    """{node id: (receptive field, jump)} for the traced nodes in execution order; the field is WHOLE
    and the jump None once every output position sees every input pixel."""
    return {node_id: (max(field), None if max(field) == WHOLE else max(jump))
            for node_id, (field, jump, _, _) in _walk(nodes).items()}


def centre_of_first_output(nodes, node_id: str) -> list[float]:
    """Per axis, the input pixel (0 = the first pixel's centre) at the centre of the window of the
    node's first output position: output position n's window is centred at this + n · jump."""
    return list(_walk(nodes)[node_id][2])  # a copy: the walk shares lists between nodes


_IMAGE = ([1, 1], [1, 1], [0.0, 0.0], 1)  # the input itself: one pixel, at jump 1, centred on pixel 0


def _walk(nodes) -> dict[str, tuple]:
    """id -> (field per axis, jump per axis, centre of output 0 per axis, positions of the last map)."""
    state: dict[str, tuple] = {}
    for node in nodes:
        before = [state[i] for i in node.inputs if i in state] or [_IMAGE]
        if len(before) == 1:  # most layers have one input: nothing to join (the lists are never mutated)
            field, jump, centre, positions_before = before[0]
        else:
            centre = max(before, key=lambda b: max(b[0]))[2]  # where paths join, the widest path's
            field = [max(b[0][axis] for b in before) for axis in (0, 1)]
            jump = [max(b[1][axis] for b in before) for axis in (0, 1)]
            positions_before = max(b[3] for b in before)
        # the positions of the last map on the way here: a flattened map's, for a dense layer after it
        positions = node.output_shape[2] * node.output_shape[3] if len(node.output_shape) == 4 \
            else positions_before
        if _mixes_every_position(node, positions_before):
            field = [WHOLE, WHOLE]
        elif node.window:
            kernels, strides, paddings = node.window
            centre = [c + ((k - 1) / 2 - p) * j for c, k, p, j in zip(centre, kernels, paddings, jump)]
            field = [f + (k - 1) * j for f, k, j in zip(field, kernels, jump)]
            jump = [j * s for j, s in zip(jump, strides)]
        state[node.id] = (field, jump, centre, positions)
    return state


def _mixes_every_position(node, positions_before: int) -> bool:
    """Every output depends on every position of the map before it: several positions pooled to one,
    or a flattened map of several positions into a dense layer."""
    if node.op in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        return positions_before > 1 and tuple(node.output_shape[2:]) == (1, 1)
    return node.op == "Linear" and positions_before > 1
