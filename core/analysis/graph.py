"""Graph IR: traced layers and joins (cat, add) with their data-flow edges, at three zoom levels.

- "layer": every leaf layer and functional join.
- "block": each module whose class declares ``graph_block`` (dense block, transition, residual
  block, inception block, ...) collapses to one node; identical consecutive blocks merge into "×N".
- "block" with ``expand=PATH``: that block shows its direct children (e.g. every dense layer, so all
  L(L+1)/2 dense connections appear as edges), the rest stays collapsed.
The IR is plain dicts and lists (JSON-ready); rendering to DOT lives in core.render.
"""
from __future__ import annotations

import difflib

from ..errors import ConfigError
from .receptive import as_row
from .trace import Trace, TracedNode


def group_of(node: TracedNode, level: str, expand: str | None) -> tuple[str, type | None]:
    """(group path, block class or None) a traced node belongs to at this zoom level."""
    if level == "layer" or node.op == "input":
        return node.path, None
    stack = node.module_stack
    if expand is not None:
        paths = [p for p, _ in stack]
        if expand in paths:
            i = paths.index(expand)
            if i + 1 < len(stack):
                return stack[i + 1]
            return node.path, None
    for path, cls in stack:
        if getattr(cls, "graph_block", None):
            return path, cls
    return node.path, None


def block_paths(trace: Trace) -> list[str]:
    """Paths of the outermost collapsible blocks, in execution order (what `expand` accepts)."""
    seen = []
    for node in trace.nodes:
        path, cls = group_of(node, "block", None)
        if cls is not None and path not in seen:
            seen.append(path)
    return seen


def build_graph(trace: Trace, level: str = "block", expand: str | None = None) -> dict:
    if level not in ("block", "layer"):
        raise ConfigError("level", f"graph level {level!r} is unknown: use 'block' or 'layer'")
    if expand is not None and not any(expand == p for n in trace.nodes for p, _ in n.module_stack):
        valid = block_paths(trace)
        close = difflib.get_close_matches(expand, valid, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError("expand", f"cannot expand '{expand}': no such block; {hint}"
                                    f"blocks are {', '.join(valid) or 'none'}")
    groups: dict[str, dict] = {}
    group_of_node: dict[str, str] = {}
    sources: dict[str, set] = {}
    fields = trace.receptive_fields
    for node in trace.nodes:
        path, cls = group_of(node, level, expand)
        group_of_node[node.id] = path
        g = groups.get(path)
        if g is None:
            g = groups[path] = dict(
                id=path, path=path, op=cls.__name__ if cls else node.op,
                kind="block" if cls else ("input" if node.op == "input" else
                                          "join" if node.op in ("cat", "add") else "layer"),
                block=getattr(cls, "graph_block", None), input_shapes=[], output_shape=None,
                params=0, macs=0, members=0, count=1, expandable=bool(cls), in_channels=0)
        g["params"] += node.params
        g["macs"] += node.macs
        g["members"] += 1
        g["output_shape"] = list(node.output_shape)
        g["receptive_field"], g["jump"] = as_row(*fields[node.id])  # the group's output: its last member's
        for src, shape in zip(node.inputs, node.input_shapes, strict=False):
            if group_of_node.get(src) == path:
                continue
            if list(shape) not in g["input_shapes"]:
                g["input_shapes"].append(list(shape))
            # Channels read = the sum over distinct tensors entering the group: a dense layer reads
            # the block input and every earlier layer's k channels (k0 + k·(l−1)), which share shapes.
            if src not in sources.setdefault(path, set()):
                sources[path].add(src)
                g["in_channels"] += shape[1] if len(shape) > 1 else 0
    edges: dict[tuple, None] = {}  # an ordered set
    for node in trace.nodes:
        dst = group_of_node[node.id]
        for src in node.inputs:
            if group_of_node[src] != dst:
                edges[(group_of_node[src], dst)] = None
    edges = list(edges)
    nodes = list(groups.values())
    if level == "block":
        nodes, edges = _merge_repeats(nodes, edges, expand)
    return {"level": level, "expand": expand, "nodes": nodes,
            "edges": [{"source": s, "target": t} for s, t in edges]}


def _signature(node: dict):
    return (node["op"], tuple(map(tuple, node["input_shapes"])), node["in_channels"],
            tuple(node["output_shape"]), node["params"] // node["count"])


def _merge_repeats(nodes: list[dict], edges: list[tuple], expand: str | None):
    """Fold chains of identical blocks A -> A' -> A'' into one node "A ×3"."""
    by_id = {n["id"]: n for n in nodes}
    changed = True
    while changed:
        changed = False
        out_edges: dict[str, list] = {}
        in_edges: dict[str, list] = {}
        for s, t in edges:
            out_edges.setdefault(s, []).append(t)
            in_edges.setdefault(t, []).append(s)
        for s, t in edges:
            a, b = by_id[s], by_id[t]
            if (a["kind"] == b["kind"] == "block" and expand not in (s, t)
                    and out_edges[s] == [t] and in_edges[t] == [s]
                    and _signature(a) == _signature(b) and a["count"] >= 1):
                a["count"] += b["count"]
                a["params"] += b["params"]
                a["macs"] += b["macs"]
                a["members"] += b["members"]
                a.setdefault("merged", []).append(b["id"])
                edges = [(a["id"] if x == t else x, y) for x, y in edges if (x, y) != (s, t)]
                del by_id[t]
                changed = True
                break
    return [n for n in nodes if n["id"] in by_id], edges
