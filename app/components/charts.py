"""Plotly figures, styled to be read from the back of a classroom: large fonts, thick lines, units."""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import streamlit  # noqa: F401  (it makes its own template Plotly's default on import; ours goes after)
from plotly.subplots import make_subplots

from .i18n import t

FONT = 17
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
TEMPLATE = "cnn_explorer"


def _register_template() -> None:
    """plotly_white, for the trace types the app draws, as Plotly's default. A template given to a
    figure is validated and deep-copied on every call (27 ms a figure here, a fifth of the web
    process's time under load); the default is attached to each new figure as it is."""
    white = pio.templates["plotly_white"]
    pio.templates[TEMPLATE] = go.layout.Template(
        layout=white.layout, data={kind: white.data[kind] for kind in ("bar", "contour", "heatmap", "scatter")})
    pio.templates.default = TEMPLATE


_register_template()


def _style(fig: go.Figure, title: str, height: int, bottom: int = 60) -> go.Figure:
    # The fonts stay on each figure: its layout wins over any template, Streamlit's in the browser too.
    fig.update_layout(title=dict(text=title, font=dict(size=FONT + 5)), height=height, font=dict(size=FONT),
                      margin=dict(l=70, r=30, t=70, b=bottom), hoverlabel=dict(font_size=FONT),
                      legend=dict(font=dict(size=FONT - 1)))
    return fig


def channels_figure(main_path: list[dict]) -> go.Figure:
    """Channels (top) and feature-map side (bottom) after every block-level step."""
    x = [row["index"] for row in main_path]
    hover = [f"{row['name']} ({row['type']})<br>{row['channels']}×{row['height']}×{row['width']}"
             for row in main_path]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_trace(go.Scatter(x=x, y=[r["channels"] for r in main_path], mode="lines+markers",
                             line=dict(width=3, shape="hv", color=COLORS[0]), marker=dict(size=8),
                             name=t("chan.channels"), hovertext=hover, hoverinfo="text"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=[r["height"] for r in main_path], mode="lines+markers",
                             line=dict(width=3, shape="hv", color=COLORS[1]), marker=dict(size=8),
                             name=t("chan.side"), hovertext=hover, hoverinfo="text"), row=2, col=1)
    fig.update_yaxes(title_text=t("chan.channels"), rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=t("chan.side"), rangemode="tozero", row=2, col=1)
    # Each step is named by its layer or block (a name per tick), as the graph and the table name it.
    fig.update_xaxes(tickvals=x, ticktext=[row["name"] for row in main_path], tickangle=-45, row=2, col=1)
    fig.update_xaxes(title_text=t("chan.x"), row=2, col=1)
    fig.update_layout(showlegend=False)
    return _style(fig, t("chan.title"), 720, bottom=190)


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
    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(len(targets))), y=list(range(len(sources))), xgap=1, ygap=1, zmin=0, zmax=1,
        colorscale=[[0, "#f4f4f4"], [1, COLORS[0]]], showscale=False,
        customdata=[[[short.get(s, s), short.get(tgt, tgt)] for tgt in targets] for s in sources],
        hovertemplate=f"{t('graph.matrix_source')}: %{{customdata[0]}}<br>"
                      f"{t('graph.matrix_target')}: %{{customdata[1]}}<extra></extra>"))
    fig.update_xaxes(title_text=t("graph.matrix_target"), tickvals=list(range(len(targets))),
                     ticktext=[short[n].replace("denselayer", "") for n in targets], tickangle=0)
    fig.update_yaxes(title_text=t("graph.matrix_source"), tickvals=list(range(len(sources))),
                     ticktext=[short[s].replace("denselayer", "") if s in inside else t("graph.matrix_input")
                               for s in sources], autorange="reversed")
    into_output = sum(row[-1] for row in z) if targets and targets[-1].endswith(".cat") else 0
    return _style(fig, t("graph.matrix_title", block=block, dense=sum(map(sum, z)) - into_output,
                         output=into_output),
                  max(420, 26 * len(sources) + 160))


def _reads(block: dict, j: int) -> str:
    """What layer j + 1 of a block reads, with the rule that gives it."""
    if block["one_shot"] and j > 0:
        return f"{block['growth']} = k ({t('chan.one_shot')})"
    return f"{block['layer_inputs'][j]} = {block['k0']} + {block['growth']}·{j}"


def staircase_figure(dense_blocks: list[dict]) -> go.Figure:
    """Per dense block, input channels of each layer (k0 + k·(l−1)) and the transition after it."""
    fig = go.Figure()
    start = 1
    for i, block in enumerate(dense_blocks):
        inputs = block["layer_inputs"]
        x = list(range(start, start + len(inputs)))
        color = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(
            x=x, y=inputs, mode="lines+markers", line=dict(width=3, shape="hv", color=color),
            marker=dict(size=7), name=f"{block['name']} (k0={block['k0']}, k={block['growth']})",
            hovertext=[f"{block['name']} layer {j + 1}: {_reads(block, j)}" for j in range(len(inputs))],
            hoverinfo="text"))
        end = x[-1] + 1
        fig.add_trace(go.Scatter(x=[end], y=[block["output"]], mode="markers", showlegend=False,
                                 marker=dict(size=12, symbol="diamond", color=color),
                                 hovertext=f"{block['name']}: {t('chan.block_out')} {block['output']}",
                                 hoverinfo="text"))
        transition = block.get("transition")
        if transition:
            fig.add_vline(x=end + 0.5, line=dict(dash="dot", width=2, color="#666"))
            fig.add_annotation(x=end + 0.5, y=transition["input"], textangle=-90, showarrow=False,
                               xanchor="right", yanchor="top", xshift=-4, font=dict(size=FONT - 2),
                               text=t("chan.transition", inp=transition["input"],
                                      out=transition["output"]))
        start = end + 1
    fig.update_xaxes(title_text=t("chan.stairs_x"))
    fig.update_yaxes(title_text=t("chan.channels"), rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.22))
    return _style(fig, t("chan.stairs_title"), 520)


def bars_figure(labels: list[str], values: list[float], metric: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=COLORS[: len(labels)],
                           text=[f"{v:,.2f}" for v in values], textposition="outside",
                           textfont=dict(size=FONT)))
    fig.update_yaxes(title_text=metric, rangemode="tozero")
    fig.update_layout(yaxis_range=[0, max(values or [1]) * 1.18])
    return _style(fig, t("compare.bars_title", metric=metric), 420)


LOG_TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
# Label side per series (ImageNet ResNets, ImageNet DenseNets, CIFAR ResNets, CIFAR DenseNets): the
# lines rise to the right, so a label above-left or below-right of its marker stays off its own line.
# The chart shows a fixed set of presets; two CIFAR DenseNets sit where another series' label would
# cover theirs, so they get their own side.
DEPTH_LABEL_SIDES = ("top left", "bottom right", "bottom right", "top center")
DEPTH_LABEL_SIDE = {"densenet_bc100_k12": "middle right", "densenet_bc250_k24": "bottom center"}


def depth_figure(series: dict[str, list[dict]]) -> go.Figure:
    """Parameters (millions, log) against depth, one series per family and dataset.

    A series is drawn as a line only where depth grows along it; the CIFAR DenseNets mix growth
    rates at equal depth, and a line through them would suggest a trend that is not there.
    """
    fig = go.Figure()
    for i, (label, points) in enumerate(series.items()):
        depths = [p["depth"] for p in points]
        line = all(a < b for a, b in zip(depths, depths[1:], strict=False))
        fig.add_trace(go.Scatter(
            x=depths, y=[p["params"] / 1e6 for p in points],
            mode="lines+markers+text" if line else "markers+text", text=[p["name"] for p in points],
            textposition=[DEPTH_LABEL_SIDE.get(p["name"], DEPTH_LABEL_SIDES[i % len(DEPTH_LABEL_SIDES)])
                          for p in points],
            textfont=dict(size=FONT - 4), name=label, marker=dict(size=10),
            line=dict(width=3, color=COLORS[i % len(COLORS)], dash="solid" if i < 2 else "dash"),
            hovertemplate="%{text}<br>depth %{x}<br>%{y:.2f} M<extra></extra>"))
    deepest = max((p["depth"] for points in series.values() for p in points), default=1)
    # Room on the right for the deepest model's label, which sits right of its marker.
    fig.update_xaxes(title_text=t("compare.depth_x"), range=[0, deepest * 1.18])
    fig.update_yaxes(title_text=t("compare.depth_y"), type="log", tickvals=LOG_TICKS)
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return _style(fig, t("compare.depth_title"), 560)


def accuracy_figure(series: dict[str, list[dict]], source: str) -> go.Figure:
    """Published top-1 against parameters: a reference series, labelled and cited on the chart."""
    fig = go.Figure()
    for i, (label, points) in enumerate(series.items()):
        fig.add_trace(go.Scatter(
            x=[p["params"] / 1e6 for p in points], y=[p["top1"] for p in points],
            mode="lines+markers+text", text=[p["name"] for p in points], textposition="bottom right",
            textfont=dict(size=FONT - 4), name=label, marker=dict(size=10, symbol="star"),
            line=dict(width=2, dash="dot", color=COLORS[i % len(COLORS)]),
            hovertemplate="%{text}<br>%{x:.2f} M<br>top-1 %{y:.3f}%<extra></extra>"))
    fig.add_annotation(text=source, xref="paper", yref="paper", x=0, y=-0.3, showarrow=False,
                       font=dict(size=FONT - 3), xanchor="left")
    widest = max((p["params"] / 1e6 for points in series.values() for p in points), default=1)
    fig.update_xaxes(title_text=t("compare.acc_x"), range=[0, widest * 1.12])  # room for the last label
    fig.update_yaxes(title_text=t("compare.acc_y"))
    fig.update_layout(legend=dict(orientation="h", y=-0.45))
    return _style(fig, t("compare.acc_title"), 560, bottom=140)
