"""The Graph tab: block-level graph (SVG from Graphviz on the server, else Graphviz in the browser), one
block expandable, a node's Layers row beside it when selected, DOT/SVG and slide downloads."""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import NamedTuple

import streamlit as st

from app import services

from . import charts, error_text, node_card, presentation, slides
from .i18n import STRINGS, t

EXPAND_KEY = "explore.expand"
SVG_CLASS = "graph-svg"  # the server-rendered graph's container (tests and benchmarks find it by this)
SVG_KEY = "explore.graph_svg"


# Draws the server's SVG into the page as it is. st.markdown (its one other route; st.html's sanitizer
# drops SVG) turned every node, edge and label into a React element, which cost ~50 ms of the browser's
# time on every slider step and ~110 ms on a first render (densenet121's block graph).
# `data`: {"svg", "zoom": "fit" (the page's width or 80 % of its height, whichever binds) | a factor
# of the drawing's own size, "labels", "selected": the selected node's name, outlined in red}. The
# toolbar (zoom out, zoom in, fit, actual size), the wheel (zoom about the pointer) and a drag (pan)
# act in the browser alone, with no rerun; a rerun that sends the same graph and zoom keeps the
# reader's. A click on a node that was not a drag sends its name (Graphviz's <title>: the module
# path) back as the `node` trigger.
_SVG_VIEW = st.components.v2.component("cnn_explorer.svg_view", isolate_styles=False, css=f"""
.{SVG_CLASS} {{ overflow: auto; max-height: 85vh; cursor: grab; }}
.{SVG_CLASS} g.node {{ cursor: pointer; }}
.{SVG_CLASS} g.node.selected :is(polygon, ellipse, path) {{ stroke: #d62728; stroke-width: 4px; }}
.{SVG_CLASS}-tools button {{ margin: 0 .3rem .3rem 0; padding: .1rem .6rem; font-size: 1rem;
  border: 1px solid rgba(49, 51, 63, .3); border-radius: .4rem; background: white; cursor: pointer; }}
""", js=f"""
export default function ({{ data, parentElement, setTriggerValue }}) {{
  let box = parentElement.querySelector(".{SVG_CLASS}");
  if (!box) {{
    const tools = document.createElement("div");
    tools.className = "{SVG_CLASS}-tools";
    parentElement.appendChild(tools);
    box = document.createElement("div");
    box.className = "{SVG_CLASS}";
    parentElement.appendChild(box);
    box.tools = tools;
    let drag = null;
    box.onmousedown = (e) => {{ drag = {{x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop,
                                        moved: false}}; }};
    window.addEventListener("mousemove", (e) => {{
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
      box.scrollLeft = drag.left - dx; box.scrollTop = drag.top - dy;
    }});
    window.addEventListener("mouseup", () => {{ box.dragged = drag && drag.moved; drag = null; }});
    box.onwheel = (e) => {{
      e.preventDefault();
      const rect = box.getBoundingClientRect();
      zoomAbout(box, box.scale * Math.pow(1.0015, -e.deltaY), e.clientX - rect.left, e.clientY - rect.top);
    }};
  }}
  box.onclick = (event) => {{
    if (box.dragged) return;  // the end of a pan, not a pick
    const title = event.target.closest("g.node")?.querySelector("title");
    if (title) setTriggerValue("node", title.textContent);
  }};
  if (box.svg !== data.svg) {{  // a rerun that sends the same graph leaves it alone
    box.svg = data.svg;
    box.innerHTML = data.svg;
    box.asked = null;
  }}
  for (const node of box.querySelectorAll("g.node")) {{  // the selected node, outlined in red
    node.classList.toggle("selected", node.querySelector("title")?.textContent === data.selected);
  }}
  if (box.labels !== JSON.stringify(data.labels)) {{
    box.labels = JSON.stringify(data.labels);
    box.tools.innerHTML = "";
    const actions = [["out", () => zoomAbout(box, box.scale / 1.25)],
                     ["in", () => zoomAbout(box, box.scale * 1.25)],
                     ["fit", () => fit(box, "fit")], ["actual", () => fit(box, 1)]];
    for (const [name, act] of actions) {{
      const button = document.createElement("button");
      button.textContent = data.labels[name]; button.title = data.labels[name + "_help"];
      button.dataset.action = name; button.onclick = act;
      box.tools.appendChild(button);
    }}
  }}
  if (box.asked !== data.zoom) {{ box.asked = data.zoom; fit(box, data.zoom); }}
}}

function fit(box, zoom) {{
  const svg = box.querySelector("svg");
  if (!svg) return;
  if (!svg.dataset.width) {{  // the drawing's own size (Graphviz writes points: 4/3 px each)
    svg.dataset.width = parseFloat(svg.getAttribute("width")) * 4 / 3;
    svg.dataset.height = parseFloat(svg.getAttribute("height")) * 4 / 3;
  }}
  const width = (box.clientWidth || parentWidth(box)) - 4, height = window.innerHeight * 0.8;
  zoomAbout(box, zoom === "fit" ? Math.min(width / svg.dataset.width, height / svg.dataset.height) : zoom);
}}

function parentWidth(box) {{
  return box.parentElement.getBoundingClientRect().width;
}}

function zoomAbout(box, scale, x = 0, y = 0) {{
  const svg = box.querySelector("svg");
  if (!svg || !svg.dataset.width) return;
  scale = Math.min(Math.max(scale, 0.05), 8);
  const before = box.scale || scale;
  const cx = box.scrollLeft + x, cy = box.scrollTop + y;
  box.scale = scale;
  svg.setAttribute("width", svg.dataset.width * scale);
  svg.setAttribute("height", svg.dataset.height * scale);
  svg.dataset.scale = scale;  // read by tests: the drawing's text height follows it
  box.scrollLeft = cx * scale / before - x;
  box.scrollTop = cy * scale / before - y;
}}""")
# A dense block with more layers than this is shown as its connection matrix first: 9 layers already
# draw 45 dense connections, which a projector turns into a grey mesh.
MATRIX_ABOVE_LAYERS = 8
FULL_KEY = "explore.graph_full"
ZOOM_ACTIONS = ("out", "in", "fit", "actual")
# A block-level graph is a chain: folded into columns it fills a wide page instead of running down it
# (densenet121 in one column at 1.5×: 43 % of a 1,650 px page's width and 2.9 times 80 % of 1080 px
# tall; in three columns, fit to the page, its labels are ~24 px high and it is all on one screen).
COLUMNS_KEY, COLUMN_CHOICES, PRESENT_COLUMNS = "explore.graph_columns", (1, 2, 3, 4), 3


class Selection(NamedTuple):
    """The graph's selected node: its module path ("" for none), `select(path)` that changes it, and
    `maps(path)` that opens that node's feature maps (on the Inside tab)."""
    path: str
    select: Callable[[str], None]
    maps: Callable[[str], None]


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


def render(model: dict, summary: dict, growth: dict, expand: str | None, on_expand, selection: Selection,
           caption: str) -> None:
    """Draw the graph of `model` (family, config_json, input_shape, name) with block `expand` expanded
    (none when it is not one of the summary's blocks); a pick in the block list, or a click on a block's
    node, calls `on_expand(block or None)`; a click on another node selects it, and its row of the
    Layers table is shown beside the graph. `caption` goes under the graph in its slide files."""
    blocks = summary["blocks"]
    none = t("graph.none")
    shown = expand if expand in blocks else none
    if st.session_state.get(EXPAND_KEY) != shown:
        st.session_state[EXPAND_KEY] = shown
    picker, folding = st.columns([3, 1])
    picker.selectbox(t("graph.expand"), [none, *blocks], key=EXPAND_KEY, on_change=_on_expand_change,
                     args=(on_expand,))
    if COLUMNS_KEY not in st.session_state:  # a projector's default: the chain across the page
        st.session_state[COLUMNS_KEY] = PRESENT_COLUMNS if presentation.on() else 1
    columns = folding.segmented_control(t("graph.columns"), COLUMN_CHOICES, key=COLUMNS_KEY, required=True,
                                        help=t("graph.columns_help"))
    expand = expanded_block()
    words = tuple((word, t(f"graph.word_{word}")) for word in services.catalog()["graph_words"])
    graph = services.graph(model["family"], model["config_json"], tuple(model["input_shape"]), expand,
                           model["name"], words, columns)
    if "error" in graph:
        error_text.show(st, graph["error"])
        return
    layers = dense_layers(growth, expand)
    if layers:
        st.info(t("graph.dense_edges", layers=layers, pairs=layers * (layers + 1) // 2))
    st.caption(t("graph.caption", nodes=graph["nodes"], edges=graph["edges"]))
    svg = None
    stem = model["file_stem"] + (f"-{expand}" if expand else "")
    slide = (caption, f"{stem}-connections")  # the connection matrix's slide files
    # Every node but the input stands for Layers rows (tests/test_presets.py checks it for every preset):
    # selectable, without scanning the rows of each on every run.
    nodes = {node["path"]: node for node in graph["ir"]["nodes"] if node["kind"] != "input"}
    selected = nodes.get(selection.path)
    if selection.path and not selected:  # not drawn at this expansion (or this model): closed
        selection.select("")
    # The selected node's card takes a quarter of the width; without one the graph has it all.
    drawing, beside = st.columns([3, 1]) if selected else (contextlib.nullcontext(), None)
    with drawing:
        if layers and layers > MATRIX_ABOVE_LAYERS and not st.session_state.get(FULL_KEY):
            _matrix(graph, expand, layers, slide)
            st.button(t("graph.full_drawing"), key=FULL_KEY + ".button", on_click=_show_full)
        else:
            svg, clicked = _drawing(graph, expand, layers, slide, selection.path if selected else "")
            if clicked in blocks:  # opened in place
                on_expand(clicked)
                st.session_state[FULL_KEY] = False
                st.rerun()
            elif clicked in nodes and clicked != selection.path:
                selection.select(clicked)
                st.rerun()
    if selected:
        node_card.render(beside, summary, selected, lambda: selection.maps(selected["path"]),
                         lambda: selection.select(""))
    # One row of downloads (each st.columns call is three more elements a run); the slide buttons' longer
    # labels get twice the width, so that they read whole in Chinese too.
    cells = st.columns([1, 1, 2, 2])
    # The files are made when a button is pressed (a callable), and pressing one reruns nothing: a
    # slider step then sends no file to the server's media store and the browser fetches none.
    cells[0].download_button(t("graph.download_dot"), lambda: graph["dot"], file_name=f"{stem}.dot",
                             mime="text/vnd.graphviz", key="explore.download_dot", on_click="ignore")
    if svg:
        cells[1].download_button(t("graph.download_svg"), lambda: svg, file_name=f"{stem}.svg",
                                 mime="image/svg+xml", key="explore.download_svg", on_click="ignore")
        slides.graph_downloads(graph["dot"], caption, f"{stem}-slide", cells[2:])


def _on_expand_change(on_expand) -> None:
    on_expand(expanded_block())
    st.session_state[FULL_KEY] = False  # another block opens as its matrix again, when large


def _show_full() -> None:
    st.session_state[FULL_KEY] = True


def _matrix(graph: dict, expand: str, layers: int, slide: tuple[str, str]) -> None:
    """The expanded block's connections as a matrix; `slide`: (caption, file stem) of its slide files."""
    st.caption(t("graph.matrix_note", layers=layers, edges=graph["edges"],
                 pairs=layers * (layers + 1) // 2))
    st.plotly_chart(charts.connection_matrix_figure(graph["ir"], expand), key="explore.graph_matrix")
    slides.chart_downloads("explore.graph_matrix", *slide)


def _drawing(graph: dict, expand: str | None, layers: int | None, slide: tuple[str, str],
             selected: str) -> tuple[str | None, str | None]:
    """The graph laid out on the server, in the zoomable view (fit to the page, or in presentation
    mode at GRAPH_ZOOM times its own size), else in the browser; past the layout deadline,
    the connection matrix; `selected`: the node outlined in it. Returns the SVG where there is one, and
    the node clicked in it in this run (None: none)."""
    if not services.svg_available():
        st.graphviz_chart(graph["dot"], width="stretch")
        return None, None
    try:
        svg = services.dot_to_svg(graph["dot"])
    except services.LayoutRefused as refused:
        if str(refused) == "busy" and graph["edges"] <= services.BROWSER_LAYOUT_EDGES:
            st.info(t("graph.layout_busy"))
            st.graphviz_chart(graph["dot"], width="stretch")
        else:
            st.warning(t("graph.layout_timeout", seconds=services.DOT_TIMEOUT_S))
            if layers:
                _matrix(graph, expand, layers, slide)
        return None, None
    # Laid out on the server: the browser only draws the SVG. Graphviz compiled to WebAssembly in the
    # browser (st.graphviz_chart) takes 0.5–0.8 s per update on a classroom laptop.
    labels = {name: t(f"graph.zoom_{name}") for name in ZOOM_ACTIONS}
    labels.update({f"{name}_help": t(f"graph.zoom_{name}_help") for name in ZOOM_ACTIONS})
    # On a projector a folded chain fits the page; one long column is drawn larger, to scroll.
    zoom = presentation.GRAPH_ZOOM if presentation.on() and graph["columns"] == 1 else "fit"
    view = _SVG_VIEW(data={"svg": svg, "zoom": zoom, "labels": labels, "selected": selected}, key=SVG_KEY,
                     on_node_change=lambda: None)
    return svg, view.node
