"""The graph's selected node, beside the graph: its row of the Layers table, and a way to its feature
maps. A block's row sums its layers' rows as the table's total row sums all of them, so a teacher
can point at a block on the projector and read what it costs."""
from __future__ import annotations

import streamlit as st

from . import error_text
from .i18n import t
from .layer_table import COLUMNS, pixels, row_values
from .numbers import exact, shape


def member_rows(summary: dict, node: dict) -> list[dict]:
    """The Layers table's rows that the graph node `node` (an IR node) stands for: the layer itself, or
    every layer inside the block and inside the identical blocks merged into it (×N)."""
    paths = (node["path"], *node.get("merged", ()))
    inside = tuple(f"{path}." for path in paths)
    return [row for row in summary["layers"] if row["name"] in paths or row["name"].startswith(inside)]


def node_values(node: dict, rows: list[dict]) -> tuple:
    """The node's values in the Layers table's column order: a layer's own row; for a block, its
    parameters, MACs and bytes summed over `rows`, and its input, output and receptive field as the
    block's (those of the tensors entering it and of its last layer's output)."""
    if len(rows) == 1 and rows[0]["name"] == node["path"]:
        return row_values(rows[0])
    name = node["path"] + (f" ×{node['count']}" if node["count"] > 1 else "")
    return (name, node["op"], ", ".join(shape(s[1:]) for s in node["input_shapes"]),
            shape(node["output_shape"][1:]), sum(row["params"] for row in rows),
            sum(row["macs"] for row in rows), sum(row["bytes_fp32"] for row in rows),
            pixels(node["receptive_field"]), pixels(node["jump"]))


def card_markdown(values: tuple, layers: int) -> str:
    """The values as a two-column table (the Layers table's headers down the left: it fits beside the
    graph), every value escaped; `layers` > 1 adds how many layers the sums are over."""
    lines = [f"| {t('node.column')} | {t('node.value')} |", "|---|---|"]
    for column, value in zip(COLUMNS, values, strict=True):
        text = exact(value) if isinstance(value, int) else str(value)
        lines.append(f"| {t(f'col.{column}')} | {error_text.escape(text)} |")
    if layers > 1:
        lines.append(f"| {t('node.layers')} | {layers} |")
    return "\n".join(lines)


def render(where, summary: dict, node: dict, on_maps, on_clear) -> None:
    """The card of `node` in the container `where`: its row, a button to its feature maps
    (`on_maps()`, called in the run: it may say here why there are none) and one that closes the card
    (`on_clear`, a callback)."""
    rows = member_rows(summary, node)
    with where:
        st.markdown(f"**{t('node.title')}**")
        st.markdown(card_markdown(node_values(node, rows), len(rows)))
        if st.button(t("node.maps"), key="explore.node_maps", icon=":material/image:"):
            on_maps()
        st.button(t("node.clear"), key="explore.node_clear", on_click=on_clear, icon=":material/close:")
