"""The Graph tab: block-level graph (SVG from Graphviz on the server, else Graphviz in the browser), one
block expandable, DOT/SVG download."""
from __future__ import annotations

import streamlit as st

from app import services

from . import charts, error_text
from .i18n import STRINGS, t

EXPAND_KEY = "explore.expand"
SVG_CLASS = "graph-svg"  # the server-rendered graph's container (tests and benchmarks find it by this)
SVG_KEY = "explore.graph_svg"


# Draws the server's SVG into the page as it is. st.markdown (its one other route; st.html's sanitizer
# drops SVG) turned every node, edge and label into a React element, which cost ~50 ms of the browser's
# time on every slider step and ~110 ms on a first render (densenet121's block graph).
# `data` is {"svg", "fit"}: fit = scaled to the page's width (the default: no graph is wider than the
# page); otherwise drawn at its own size in a box that scrolls both ways (pan by scrolling).
# A click on a node sends its name (Graphviz's <title>: the module path) back as the `node` trigger.
_SVG_VIEW = st.components.v2.component("cnn_explorer.svg_view", isolate_styles=False,
                                       css=f".{SVG_CLASS} g.node {{ cursor: pointer; }}", js=f"""
export default function ({{ data, parentElement, setTriggerValue }}) {{
  let box = parentElement.querySelector(".{SVG_CLASS}");
  if (!box) {{
    box = document.createElement("div");
    box.className = "{SVG_CLASS}";
    box.style.overflow = "auto";
    box.style.maxHeight = "85vh";
    parentElement.appendChild(box);
  }}
  box.onclick = (event) => {{
    const title = event.target.closest("g.node")?.querySelector("title");
    if (title) setTriggerValue("node", title.textContent);
  }};
  if (box.svg !== data.svg) {{  // a rerun that sends the same graph leaves it alone
    box.svg = data.svg;
    box.innerHTML = data.svg;
  }}
  const svg = box.querySelector("svg");
  if (svg && box.fit !== data.fit) {{
    box.fit = data.fit;
    if (!svg.dataset.width) {{
      svg.dataset.width = svg.getAttribute("width");
      svg.dataset.height = svg.getAttribute("height");
    }}
    svg.setAttribute("width", data.fit ? "100%" : svg.dataset.width);
    svg.setAttribute("height", data.fit ? "auto" : svg.dataset.height);
    svg.style.maxHeight = data.fit ? "80vh" : "none";
  }}
}}""")
# A dense block with more layers than this is shown as its connection matrix first: 9 layers already
# draw 45 dense connections, which a projector turns into a grey mesh.
MATRIX_ABOVE_LAYERS = 8
FULL_KEY = "explore.graph_full"
FIT_KEY = "explore.graph_fit"


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


def render(model: dict, blocks: list[str], growth: dict, expand: str | None, on_expand, on_node) -> None:
    """Draw the graph of `model` (family, config_json, input_shape, name) with block `expand` expanded
    (none when it is not one of `blocks`); a pick in the block list, or a click on a block's node,
    calls `on_expand(block or None)`; a click on another node calls `on_node(its module path)`."""
    none = t("graph.none")
    shown = expand if expand in blocks else none
    if st.session_state.get(EXPAND_KEY) != shown:
        st.session_state[EXPAND_KEY] = shown
    st.selectbox(t("graph.expand"), [none, *blocks], key=EXPAND_KEY, on_change=_on_expand_change,
                 args=(on_expand,))
    expand = expanded_block()
    words = tuple((word, t(f"graph.word_{word}")) for word in services.catalog()["graph_words"])
    graph = services.graph(model["family"], model["config_json"], tuple(model["input_shape"]), expand,
                           model["name"], words)
    if "error" in graph:
        error_text.show(st, graph["error"])
        return
    layers = dense_layers(growth, expand)
    if layers:
        st.info(t("graph.dense_edges", layers=layers, pairs=layers * (layers + 1) // 2))
    st.caption(t("graph.caption", nodes=graph["nodes"], edges=graph["edges"]))
    svg = None
    if layers and layers > MATRIX_ABOVE_LAYERS and not st.session_state.get(FULL_KEY):
        _matrix(graph, expand, layers)
        st.button(t("graph.full_drawing"), key=FULL_KEY + ".button", on_click=_show_full)
    else:
        svg, clicked = _drawing(graph, expand, layers)
        if clicked in blocks:  # opened in place
            on_expand(clicked)
            st.session_state[FULL_KEY] = False
            st.rerun()
        elif clicked:
            on_node(clicked)
    left, right = st.columns(2)
    stem = model["file_stem"] + (f"-{expand}" if expand else "")
    # The files are made when a button is pressed (a callable), and pressing one reruns nothing: a
    # slider step then sends no file to the server's media store and the browser fetches none.
    left.download_button(t("graph.download_dot"), lambda: graph["dot"], file_name=f"{stem}.dot",
                         mime="text/vnd.graphviz", key="explore.download_dot", on_click="ignore")
    if svg:
        right.download_button(t("graph.download_svg"), lambda: svg, file_name=f"{stem}.svg",
                              mime="image/svg+xml", key="explore.download_svg", on_click="ignore")


def _on_expand_change(on_expand) -> None:
    on_expand(expanded_block())
    st.session_state[FULL_KEY] = False  # another block opens as its matrix again, when large


def _show_full() -> None:
    st.session_state[FULL_KEY] = True


def _matrix(graph: dict, expand: str, layers: int) -> None:
    st.caption(t("graph.matrix_note", layers=layers, edges=graph["edges"],
                 pairs=layers * (layers + 1) // 2))
    st.plotly_chart(charts.connection_matrix_figure(graph["ir"], expand), key="explore.graph_matrix")


def _drawing(graph: dict, expand: str | None, layers: int | None) -> tuple[str | None, str | None]:
    """The graph laid out on the server (fit to the width unless the reader turns that off), else in
    the browser; past the layout deadline, the connection matrix. Returns the SVG where there is one,
    and the node clicked in it in this run (None: none)."""
    fit = st.toggle(t("graph.fit_width"), value=True, key=FIT_KEY)
    if not services.svg_available():
        st.graphviz_chart(graph["dot"], width="stretch" if fit else "content")
        return None, None
    try:
        svg = services.dot_to_svg(graph["dot"])
    except services.LayoutRefused as refused:
        if str(refused) == "busy" and graph["edges"] <= services.BROWSER_LAYOUT_EDGES:
            st.info(t("graph.layout_busy"))
            st.graphviz_chart(graph["dot"], width="stretch" if fit else "content")
        else:
            st.warning(t("graph.layout_timeout", seconds=services.DOT_TIMEOUT_S))
            if layers:
                _matrix(graph, expand, layers)
        return None, None
    # Laid out on the server: the browser only draws the SVG. Graphviz compiled to WebAssembly in the
    # browser (st.graphviz_chart) takes 0.5–0.8 s per update on a classroom laptop.
    view = _SVG_VIEW(data={"svg": svg, "fit": fit}, key=SVG_KEY, on_node_change=lambda: None)
    return svg, view.node
