"""Plotly figures, styled to be read from the back of a classroom: large fonts, thick lines, units."""
from __future__ import annotations

import collections
import functools
import hashlib
import json
import pickle
import threading

import plotly.graph_objects as go
import plotly.io as pio
import streamlit  # noqa: F401  (it makes its own template Plotly's default on import; ours goes after)
from plotly.subplots import make_subplots

from . import presentation
from .i18n import language, t

FONT = 17
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
TEMPLATE = "cnn_explorer"


def _register_template() -> None:
    """plotly_white, for the trace types the app draws, as Plotly's default. A template given to a
    figure is validated and deep-copied on every call (27 ms a figure here, 8 % of the web
    process's time under load); the default is attached to each new figure as it is."""
    white = pio.templates["plotly_white"]
    pio.templates[TEMPLATE] = go.layout.Template(
        layout=white.layout,
        data={kind: white.data[kind] for kind in ("bar", "contour", "heatmap", "scatter")})
    pio.templates.default = TEMPLATE


_register_template()


def figure(traces: list[dict], layout: dict, title: str, height: int, bottom: int = 60) -> go.Figure:
    """The figure of these traces and this layout in the classroom style, built and validated in one
    go. Plotly's add_trace and update_* walk and validate its property tree on every call: the
    attribution grid took 258 ms that way against 42 ms as one dict, and figures were most of the web
    process's CPU under a class's load. Where `layout` and the style both set a value, `layout` wins.
    The fonts are the figure's own, not the template's: a figure's layout wins over any template,
    Streamlit's in the browser too."""
    scale = presentation.font_scale()
    font = round(FONT * scale)
    style = dict(title=dict(text=title, font=dict(size=font + 5)), height=round(height * scale),
                 font=dict(size=font), hoverlabel=dict(font=dict(size=font)),
                 margin=dict(l=70, r=30, t=round(70 * scale), b=round(bottom * scale)),
                 legend=dict(font=dict(size=font - 1)))
    return go.Figure(data=traces, layout=merged(style, layout))


FIGURES_KEPT = 64
_kept: collections.OrderedDict[str, go.Figure] = collections.OrderedDict()
_kept_lock = threading.Lock()


def kept(function):
    """A figure function whose latest FIGURES_KEPT figures are kept, by function, arguments, the
    page's language and presentation mode: a revisit (a tab, a page, the same models on Compare, the
    same checkpoint's attributions) shows the figure built before. Streamlit only reads a figure (it
    draws a copy), so sessions can share one."""
    @functools.wraps(function)
    def keeping(*args, **kwargs):
        # Pickled only to be hashed, never loaded.
        key = hashlib.blake2b(pickle.dumps((function.__qualname__, language(), presentation.on(), args,
                                            kwargs))).hexdigest()
        with _kept_lock:
            if key in _kept:
                _kept.move_to_end(key)
                return _kept[key]
        fig = function(*args, **kwargs)
        with _kept_lock:
            _kept[key] = fig
            while len(_kept) > FIGURES_KEPT:
                _kept.popitem(last=False)
        return fig
    return keeping


def merged(base: dict, over: dict) -> dict:
    """`base` with `over` laid on it, nested dicts merged key by key (as plotly's update merges)."""
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if both else value
    return out


@functools.lru_cache(maxsize=16)
def _grid_json(rows: int, cols: int, horizontal_spacing: float, vertical_spacing: float,
               shared_xaxes: bool) -> str:
    layout = make_subplots(rows=rows, cols=cols, horizontal_spacing=horizontal_spacing,
                           vertical_spacing=vertical_spacing, shared_xaxes=shared_xaxes).to_dict()["layout"]
    del layout["template"]
    return json.dumps(layout)


def grid(rows: int, cols: int, horizontal_spacing: float, vertical_spacing: float,
         shared_xaxes: bool = False) -> dict:
    """The axes of a rows × cols grid of panels as make_subplots lays them out, a fresh copy each
    call. Laying them out is slow (80 ms for 4 × 5) and depends on the grid alone: kept per grid."""
    return json.loads(_grid_json(rows, cols, horizontal_spacing, vertical_spacing, shared_xaxes))


def panel(row: int, col: int, cols: int) -> str:
    """The axis suffix of panel (row, col) in a grid `cols` wide: make_subplots numbers the panels row
    by row from 1, and the first one's axes are plain x and y."""
    number = (row - 1) * cols + col
    return "" if number == 1 else str(number)


def on_panel(trace: dict, suffix: str) -> dict:
    return {**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def panel_title(layout: dict, suffix: str, text: str, **font) -> dict:
    """An annotation above panel `suffix` of a grid, where make_subplots puts a subplot title."""
    return dict(text=text, x=sum(layout[f"xaxis{suffix}"]["domain"]) / 2,
                y=layout[f"yaxis{suffix}"]["domain"][1], xref="paper", yref="paper", xanchor="center",
                yanchor="bottom", showarrow=False, font=dict(size=FONT - 1, **font))


def image_axes(layout: dict) -> None:
    """Every panel of a grid of images: no ticks or grid, each pixel square, images upright."""
    for name in [name for name in layout if name.startswith(("xaxis", "yaxis"))]:
        layout[name].update(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
        if name.startswith("yaxis"):
            layout[name].update(autorange="reversed", scaleanchor=name.replace("yaxis", "x"))


@kept
def channels_figure(main_path: list[dict]) -> go.Figure:
    """Channels (top) and feature-map side (bottom) after every block-level step."""
    x = [row["index"] for row in main_path]
    hover = [f"{row['name']} ({row['type']})<br>{row['channels']}×{row['height']}×{row['width']}"
             for row in main_path]

    def steps(key: str, name: str, color: str, suffix: str) -> dict:
        return on_panel(dict(type="scatter", x=x, y=[r[key] for r in main_path], mode="lines+markers",
                             line=dict(width=3, shape="hv", color=color), marker=dict(size=8), name=name,
                             hovertext=hover, hoverinfo="text"), suffix)

    layout = merged(grid(2, 1, 0.2, 0.08, shared_xaxes=True), dict(
        yaxis=dict(title=dict(text=t("chan.channels")), rangemode="tozero"),
        yaxis2=dict(title=dict(text=t("chan.side")), rangemode="tozero"),
        # Each step is named by its layer or block (a name per tick), as the graph and the table name it.
        xaxis2=dict(tickvals=x, ticktext=[row["name"] for row in main_path], tickangle=-45,
                    title=dict(text=t("chan.x"))),
        showlegend=False))
    traces = [steps("channels", t("chan.channels"), COLORS[0], ""),
              steps("height", t("chan.side"), COLORS[1], "2")]
    return figure(traces, layout, t("chan.title"), 720, bottom=190)


@kept
def connection_matrix_figure(ir: dict, block: str) -> go.Figure:
    """Which layer of an expanded block reads which source, from the graph's edges: rows are sources
    (the block input, then each layer), columns the layers and the block's output concatenation."""
    inside = targets = [n["id"] for n in ir["nodes"] if n["id"].startswith(block + ".")]
    edges = {(e["source"], e["target"]) for e in ir["edges"]}
    outside = list(dict.fromkeys(e["source"] for e in ir["edges"]
                                 if e["target"] in inside and e["source"] not in inside))
    sources = outside + [n for n in inside if any(s == n and tgt in inside for s, tgt in edges)]
    short = {n: n.removeprefix(block + ".") for n in inside}
    z = [[1 if (s, tgt) in edges else 0 for tgt in targets] for s in sources]
    heatmap = dict(
        type="heatmap", z=z, x=list(range(len(targets))), y=list(range(len(sources))), xgap=1, ygap=1,
        zmin=0, zmax=1, colorscale=[[0, "#f4f4f4"], [1, COLORS[0]]], showscale=False,
        customdata=[[[short.get(s, s), short.get(tgt, tgt)] for tgt in targets] for s in sources],
        hovertemplate=f"{t('graph.matrix_source')}: %{{customdata[0]}}<br>"
                      f"{t('graph.matrix_target')}: %{{customdata[1]}}<extra></extra>")
    layout = dict(
        xaxis=dict(title=dict(text=t("graph.matrix_target")), tickvals=list(range(len(targets))),
                   ticktext=[short[n].replace("denselayer", "") for n in targets], tickangle=0),
        yaxis=dict(title=dict(text=t("graph.matrix_source")), tickvals=list(range(len(sources))),
                   ticktext=[short[s].replace("denselayer", "") if s in inside else t("graph.matrix_input")
                             for s in sources], autorange="reversed"))
    into_output = sum(row[-1] for row in z) if targets and targets[-1].endswith(".cat") else 0
    title = t("graph.matrix_title", block=block, dense=sum(map(sum, z)) - into_output, output=into_output)
    return figure([heatmap], layout, title, max(420, 26 * len(sources) + 160))


def _reads(block: dict, j: int) -> str:
    """What layer j + 1 of a block reads, with the rule that gives it."""
    if block["one_shot"] and j > 0:
        return f"{block['growth']} = k ({t('chan.one_shot')})"
    return f"{block['layer_inputs'][j]} = {block['k0']} + {block['growth']}·{j}"


@kept
def staircase_figure(dense_blocks: list[dict]) -> go.Figure:
    """Per dense block, input channels of each layer (k0 + k·(l−1)) and the transition after it."""
    traces, shapes, annotations = [], [], []
    start = 1
    for i, block in enumerate(dense_blocks):
        inputs = block["layer_inputs"]
        x = list(range(start, start + len(inputs)))
        color = COLORS[i % len(COLORS)]
        traces.append(dict(
            type="scatter", x=x, y=inputs, mode="lines+markers", line=dict(width=3, shape="hv", color=color),
            marker=dict(size=7), name=f"{block['name']} (k0={block['k0']}, k={block['growth']})",
            hovertext=[f"{block['name']} layer {j + 1}: {_reads(block, j)}" for j in range(len(inputs))],
            hoverinfo="text"))
        end = x[-1] + 1
        traces.append(dict(type="scatter", x=[end], y=[block["output"]], mode="markers", showlegend=False,
                           marker=dict(size=12, symbol="diamond", color=color),
                           hovertext=f"{block['name']}: {t('chan.block_out')} {block['output']}",
                           hoverinfo="text"))
        transition = block.get("transition")
        if transition:  # a dotted line over the plot's whole height, and what the transition does
            shapes.append(dict(type="line", x0=end + 0.5, x1=end + 0.5, xref="x", y0=0, y1=1, yref="y domain",
                               line=dict(dash="dot", width=2, color="#666")))
            annotations.append(dict(x=end + 0.5, y=transition["input"], textangle=-90, showarrow=False,
                                    xanchor="right", yanchor="top", xshift=-4, font=dict(size=FONT - 2),
                                    text=t("chan.transition", inp=transition["input"],
                                           out=transition["output"])))
        start = end + 1
    layout = dict(xaxis=dict(title=dict(text=t("chan.stairs_x"))),
                  yaxis=dict(title=dict(text=t("chan.channels")), rangemode="tozero"),
                  legend=dict(orientation="h", y=-0.22), shapes=shapes, annotations=annotations)
    return figure(traces, layout, t("chan.stairs_title"), 520)


@kept
def channel_curves_figure(curves: dict[str, list[dict]]) -> go.Figure:
    """The channels each convolution (and dense layer) reads against its depth, one series per model:
    a DenseNet's climb k0 + k·l inside each block and halve at transitions, a ResNet's bottlenecks read
    four times the channels of their 3×3 convolutions."""
    traces = [dict(type="scatter", x=[p["depth"] for p in curve], y=[p["channels"] for p in curve],
                   mode="markers", name=name, marker=dict(size=9, color=COLORS[i % len(COLORS)]),
                   hovertext=[f"{name}: {p['name']}<br>{p['channels']:,} {t('chan.channels')}"
                              for p in curve],
                   hoverinfo="text")
              for i, (name, curve) in enumerate(curves.items())]
    layout = dict(xaxis=dict(title=dict(text=t("arch.curve_x")), rangemode="tozero"),
                  yaxis=dict(title=dict(text=t("arch.curve_y")), rangemode="tozero"),
                  legend=dict(orientation="h", y=-0.25))
    return figure(traces, layout, t("arch.curve_title"), 520, bottom=120)


@kept
def bars_figure(labels: list[str], values: list[float], metric: str) -> go.Figure:
    bars = dict(type="bar", x=labels, y=values, marker=dict(color=COLORS[: len(labels)]),
                text=[f"{v:,.2f}" for v in values], textposition="outside", textfont=dict(size=FONT))
    layout = dict(yaxis=dict(title=dict(text=metric), rangemode="tozero",
                             range=[0, max(values or [1]) * 1.18]))
    return figure([bars], layout, t("compare.bars_title", metric=metric), 420)


LOG_TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
# Label side per series (ImageNet ResNets, ImageNet DenseNets, CIFAR ResNets, CIFAR DenseNets): the
# lines rise to the right, so a label above-left or below-right of its marker stays off its own line.
# The chart shows a fixed set of presets; two CIFAR DenseNets sit where another series' label would
# cover theirs, so they get their own side.
DEPTH_LABEL_SIDES = ("top left", "bottom right", "bottom right", "top center")
DEPTH_LABEL_SIDE = {"densenet_bc100_k12": "middle right", "densenet_bc250_k24": "bottom center"}


@kept
def depth_figure(series: dict[str, list[dict]]) -> go.Figure:
    """Parameters (millions, log) against depth, one series per family and dataset.

    A series is drawn as a line only where depth grows along it; the CIFAR DenseNets mix growth
    rates at equal depth, and a line through them would suggest a trend that is not there.
    """
    traces = []
    for i, (label, points) in enumerate(series.items()):
        depths = [p["depth"] for p in points]
        line = all(a < b for a, b in zip(depths, depths[1:], strict=False))
        traces.append(dict(
            type="scatter", x=depths, y=[p["params"] / 1e6 for p in points],
            mode="lines+markers+text" if line else "markers+text", text=[p["name"] for p in points],
            textposition=[DEPTH_LABEL_SIDE.get(p["name"], DEPTH_LABEL_SIDES[i % len(DEPTH_LABEL_SIDES)])
                          for p in points],
            textfont=dict(size=FONT - 4), name=label, marker=dict(size=10),
            line=dict(width=3, color=COLORS[i % len(COLORS)], dash="solid" if i < 2 else "dash"),
            hovertemplate="%{text}<br>depth %{x}<br>%{y:.2f} M<extra></extra>"))
    deepest = max((p["depth"] for points in series.values() for p in points), default=1)
    layout = dict(
        # Room on the right for the deepest model's label, which sits right of its marker.
        xaxis=dict(title=dict(text=t("compare.depth_x")), range=[0, deepest * 1.18]),
        yaxis=dict(title=dict(text=t("compare.depth_y")), type="log", tickvals=LOG_TICKS),
        legend=dict(orientation="h", y=-0.2))
    return figure(traces, layout, t("compare.depth_title"), 560)


@kept
def accuracy_figure(series: dict[str, list[dict]], source: str) -> go.Figure:
    """Published top-1 against parameters: a reference series, labelled and cited on the chart."""
    traces = []
    for i, (label, points) in enumerate(series.items()):
        traces.append(dict(
            type="scatter", x=[p["params"] / 1e6 for p in points], y=[p["top1"] for p in points],
            mode="lines+markers+text", text=[p["name"] for p in points], textposition="bottom right",
            textfont=dict(size=FONT - 4), name=label, marker=dict(size=10, symbol="star"),
            line=dict(width=2, dash="dot", color=COLORS[i % len(COLORS)]),
            hovertemplate="%{text}<br>%{x:.2f} M<br>top-1 %{y:.3f}%<extra></extra>"))
    widest = max((p["params"] / 1e6 for points in series.values() for p in points), default=1)
    layout = dict(
        annotations=[dict(text=source, xref="paper", yref="paper", x=0, y=-0.3, showarrow=False,
                          font=dict(size=FONT - 3), xanchor="left")],
        xaxis=dict(title=dict(text=t("compare.acc_x")), range=[0, widest * 1.12]),  # room for the last label
        yaxis=dict(title=dict(text=t("compare.acc_y"))), legend=dict(orientation="h", y=-0.45))
    return figure(traces, layout, t("compare.acc_title"), 560, bottom=140)
