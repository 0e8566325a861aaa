"""The Graph tab: block-level graph (SVG from Graphviz on the server, else Graphviz in the browser), one
block expandable, DOT/SVG download."""
from __future__ import annotations

import streamlit as st

from app import services

from . import url_state
from .i18n import STRINGS, t

EXPAND_KEY = "explore.expand"
SVG_CLASS = "graph-svg"  # the server-rendered graph's container (tests and benchmarks find it by this)
SVG_KEY = "explore.graph_svg"


# Draws the server's SVG into the page as it is. st.markdown (its one other route; st.html's sanitizer
# drops SVG) turned every node, edge and label into a React element, which cost ~50 ms of the browser's
# time on every slider step and ~110 ms on a first render (densenet121's block graph).
_SVG_VIEW = st.components.v2.component("cnn_explorer.svg_view", isolate_styles=False, js=f"""
export default function ({{ data, parentElement }}) {{
  let box = parentElement.querySelector(".{SVG_CLASS}");
  if (!box) {{
    box = document.createElement("div");
    box.className = "{SVG_CLASS}";
    box.style.overflowX = "auto";
    parentElement.appendChild(box);
  }}
  if (box.svg !== data) {{  // a rerun that sends the same graph leaves it alone
    box.svg = data;
    box.innerHTML = data;
  }}
}}""")


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
        _SVG_VIEW(data=svg, key=SVG_KEY)
    else:
        st.graphviz_chart(graph["dot"], width="content")
    left, right = st.columns(2)
    stem = model["file_stem"] + (f"-{expand}" if expand else "")
    # The files are made when a button is pressed (a callable), and pressing one reruns nothing: a
    # slider step then sends no file to the server's media store and the browser fetches none.
    left.download_button(t("graph.download_dot"), lambda: graph["dot"], file_name=f"{stem}.dot",
                         mime="text/vnd.graphviz", key="explore.download_dot", on_click="ignore")
    if svg:
        right.download_button(t("graph.download_svg"), lambda: svg, file_name=f"{stem}.svg",
                              mime="image/svg+xml", key="explore.download_svg", on_click="ignore")
