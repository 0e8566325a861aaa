"""The Graph tab: block-level graph (SVG from Graphviz on the server, else Graphviz in the browser), one
block expandable, DOT/SVG download."""
from __future__ import annotations

import streamlit as st

from app import services

from . import url_state
from .i18n import STRINGS, t

EXPAND_KEY = "explore.expand"
SVG_CLASS = "graph-svg"  # the server-rendered graph's container (tests and benchmarks find it by this)


def dense_layers(growth: dict, block: str | None) -> int | None:
    """L of the expanded dense block (None when the expanded block is not a dense block)."""
    for dense in growth["dense_blocks"]:
        if dense["name"] == block:
            return len(dense["layer_inputs"])
    return None


def expanded_block() -> str | None:
    """The expanded block path; the "none" option is a catalogue label in either language."""
    value = st.session_state.get(EXPAND_KEY)
    return None if not value or value in STRINGS["graph.none"] else value


def render(model: dict, blocks: list[str], growth: dict) -> None:
    """Draw the graph of `model` (family, config_json, input_shape, name) with one block expanded."""
    none = t("graph.none")
    if st.session_state.get(EXPAND_KEY) not in blocks:
        st.session_state[EXPAND_KEY] = none  # nothing, or no such block in this model: the block view
    st.selectbox(t("graph.expand"), [none, *blocks], key=EXPAND_KEY, on_change=url_state.acted,
                 persist_state="session")
    expand = expanded_block()
    words = tuple((word, t(f"graph.word_{word}")) for word in services.GRAPH_WORDS)
    graph = services.graph(model["family"], model["config_json"], tuple(model["input_shape"]), expand,
                           model["name"], words)
    layers = dense_layers(growth, expand)
    if layers:
        st.info(t("graph.dense_edges", layers=layers, pairs=layers * (layers + 1) // 2))
    st.caption(t("graph.caption", nodes=graph["nodes"], edges=graph["edges"]))
    svg = services.dot_to_svg(graph["dot"]) if services.svg_available() else None
    if svg:
        # Laid out on the server: the browser only draws the SVG. Graphviz compiled to WebAssembly in
        # the browser (st.graphviz_chart) takes 0.5–0.8 s per update on a classroom laptop.
        # Markdown keeps inline SVG (st.html's sanitizer drops it); one line, so no blank line ends
        # the HTML block.
        one_line = " ".join(svg.split("\n"))
        st.markdown(f'<div class="{SVG_CLASS}" style="overflow-x: auto">{one_line}</div>',
                    unsafe_allow_html=True)
    else:
        st.graphviz_chart(graph["dot"], width="content")
    left, right = st.columns(2)
    stem = model["name"] + (f"-{expand}" if expand else "")
    left.download_button(t("graph.download_dot"), graph["dot"], file_name=f"{stem}.dot",
                         mime="text/vnd.graphviz", key="explore.download_dot")
    if svg:
        right.download_button(t("graph.download_svg"), svg, file_name=f"{stem}.svg", mime="image/svg+xml",
                              key="explore.download_svg")
