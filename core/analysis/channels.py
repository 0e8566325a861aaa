"""Channel growth: channels and H×W along the main path, and the k0 + k·(l−1) staircase per block."""
from __future__ import annotations

from .graph import group_of
from .trace import Trace


def _chw(shape) -> list[int]:
    """(C, H, W) of an output shape without its batch; vectors count as C×1×1."""
    dims = list(shape)[1:]
    return (dims + [1, 1])[:3]


def main_path(trace: Trace) -> list[dict]:
    """One row per block-level step (blocks collapsed, repeats kept apart), in execution order."""
    steps: dict[str, dict] = {}
    for node in trace.nodes:
        if node.op == "input":
            continue
        path, cls = group_of(node, "block", None)
        steps[path] = dict(name=path, type=cls.__name__ if cls else node.op,
                           shape=node.output_shape)  # the last node of a step is its output
    rows = []
    for i, step in enumerate(steps.values()):
        c, h, w = _chw(step["shape"])
        rows.append(dict(index=i, name=step["name"], type=step["type"], channels=c, height=h,
                         width=w))
    return rows


def _block_kind(stack, depth) -> str | None:
    return getattr(stack[depth][1], "graph_block", None) if len(stack) >= -depth else None


def dense_blocks(trace: Trace) -> list[dict]:
    """Per dense block: input channels of each dense layer (k0 + k·(l−1)), output, transition."""
    blocks: dict[str, dict] = {}
    last_block = None
    for node in trace.nodes:
        stack = node.module_stack
        if node.op == "cat" and _block_kind(stack, -1) == "dense layer":
            block = blocks.setdefault(stack[-2][0], dict(name=stack[-2][0], layer_inputs=[]))
            block["layer_inputs"].append(sum(s[1] for s in node.input_shapes))
        elif node.op == "cat" and _block_kind(stack, -1) == "dense block":
            last_block = blocks.setdefault(stack[-1][0], dict(name=stack[-1][0], layer_inputs=[]))
            last_block["output"] = node.output_shape[1]
        elif node.op == "Conv2d" and _block_kind(stack, -1) == "transition" and last_block:
            last_block["transition"] = dict(name=stack[-1][0], input=node.input_shapes[0][1],
                                            output=node.output_shape[1])
            last_block = None
    for block in blocks.values():
        inputs = block["layer_inputs"]
        block["k0"] = inputs[0]
        block["growth"] = (block["output"] - inputs[0]) // len(inputs)
        # One-shot aggregation (VoVNet): layers after the first read only the previous layer's k.
        block["one_shot"] = len(inputs) > 1 and all(c == block["growth"] for c in inputs[1:])
    return list(blocks.values())


def channel_growth(trace: Trace) -> dict:
    return {"main_path": main_path(trace), "dense_blocks": dense_blocks(trace)}
