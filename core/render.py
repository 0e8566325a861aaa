"""Graph IR (plain dicts) to Graphviz DOT text. Pure Python: the app renders it in the browser."""
from __future__ import annotations

from .analysis.receptive import WHOLE_INPUT

_STYLE = {
    "input": 'shape=oval, style=filled, fillcolor="#e8eef7"',
    "layer": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "block": 'shape=box3d, style=filled, fillcolor="#fff3cd"',
    "join": 'shape=circle, style=filled, fillcolor="#d4edda", fixedsize=true, width=0.55',
}
_JOIN_SYMBOL = {"cat": "cat", "add": "+"}
# The words in node labels; the app passes its catalogue's, so a Chinese page gets Chinese labels.
WORDS = {"input": "input", "params": "params", "ch": "ch", "field": "receptive field", "jump": "jump",
         "whole": "the whole input", "px": "px"}


def _fmt_shape(shape) -> str:
    dims = list(shape)[1:]  # the batch is the same everywhere
    return "×".join(map(str, dims))


def _compact(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def node_label(node: dict, words: dict = WORDS) -> str:
    if node["kind"] == "input":
        return f"{words['input']}\n{_fmt_shape(node['output_shape'])}"
    if node["kind"] == "join":
        return _JOIN_SYMBOL.get(node["op"], node["op"])
    name = node["path"]
    if node["kind"] == "block":
        repeat = f" ×{node['count']}" if node["count"] > 1 else ""
        c_in = node["in_channels"] or "?"
        c_out = node["output_shape"][1]
        return (f"{name}{repeat}\n{node['op']} · {c_in}→{c_out} {words['ch']}\n"
                f"{_fmt_shape(node['output_shape'])} · {_compact(node['params'])} {words['params']}")
    params = f" · {_compact(node['params'])} {words['params']}" if node["params"] else ""
    return f"{name}\n{node['op']} → {_fmt_shape(node['output_shape'])}{params}"


def tooltip(node: dict, words: dict = WORDS) -> str:
    """The node's path and how far its output sees (receptive field and jump, in input pixels)."""
    field = node.get("receptive_field")
    if field is None:
        return node["path"]
    if field == WHOLE_INPUT:
        return f"{node['path']}\n{words['field']}: {words['whole']}"
    return (f"{node['path']}\n{words['field']}: {field} {words['px']} · "
            f"{words['jump']}: {node['jump']} {words['px']}")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: dict, title: str = "", fontsize: int = 10, words: dict = WORDS, columns: int = 1) -> str:
    """DOT text; `fontsize` in points (the app uses a larger one that reads on a projector), `words`
    the label words (WORDS' keys) in the reader's language. `columns` > 1 folds a chain (every node
    feeds only the next: a block-level graph) into that many columns side by side, read down each
    column then on to the next: a long chain then fills a projector's width instead of scrolling down
    it. A graph that is not a chain is drawn in one column."""
    lines = ["digraph G {", '  rankdir=TB; nodesep=0.25; ranksep=0.3;',
             f'  node [fontname="Helvetica", fontsize={fontsize}]; '
             'edge [color="#555555", arrowsize=0.6];']
    if title:
        lines.append(f"  labelloc=t; label={_quote(title)}; fontname=\"Helvetica\"; fontsize=14;")
    for node in graph["nodes"]:
        lines.append(f"  {_quote(node['id'])} [label={_quote(node_label(node, words))}, "
                     f"{_STYLE[node['kind']]}, tooltip={_quote(tooltip(node, words))}];")
    column_of = fold(graph, columns)
    for k in sorted(set(column_of.values())) if len(set(column_of.values())) > 1 else []:
        members = " ".join(_quote(n) for n, c in column_of.items() if c == k)
        lines.append(f"  subgraph cluster_column{k} {{ style=invis; {members} }}")
    for edge in graph["edges"]:
        # An edge to the next column's top does not rank its target below its source: each column
        # starts at the top.
        turn = column_of.get(edge["source"]) != column_of.get(edge["target"])
        lines.append(f"  {_quote(edge['source'])} -> {_quote(edge['target'])}"
                     f"{' [constraint=false]' if turn else ''};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def fold(graph: dict, columns: int) -> dict:
    """{node: its column} for a chain folded into `columns` nearly equal columns; {} otherwise."""
    nodes = [n["id"] for n in graph["nodes"]]
    following = {e["source"]: e["target"] for e in graph["edges"]}
    if columns < 2 or len(graph["edges"]) != len(nodes) - 1 or len(following) != len(graph["edges"]):
        return {}
    first = set(nodes) - set(following.values())
    order = list(first)
    while len(order) < len(nodes) and order[-1] in following:
        order.append(following[order[-1]])
    if len(first) != 1 or len(order) != len(nodes) or len(set(order)) != len(nodes):
        return {}
    per = -(-len(order) // columns)
    return {node: i // per for i, node in enumerate(order)}
