"""Inside the network: one image through a checkpoint's network, stage by stage. At the chosen stage,
the channels with the largest mean activation as small images on one shared colour scale, with the
stage's name, output shape and value range; the prediction at the end."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app import services

from . import error_text, slides
from .charts import figure, grid, image_axes, kept, on_panel, panel, panel_title
from .i18n import t
from .numbers import shape

COLUMNS = 4


def keys(prefix: str) -> dict:
    """The view's widget and figure keys on a page (Attributions: "fmap"; Explore: "inside")."""
    return {part: f"{prefix}.{part}" for part in ("image", "point", "every", "figure", "erf")}


def maps(weights: dict, image: np.ndarray, layer: str | None = None) -> dict:
    """`weights`: a checkpoint ({"path", "stamp"}) or an untrained config ({"family", "config_json"})."""
    if "path" in weights:
        return services.feature_maps(weights["path"], weights["stamp"], image, layer)
    return services.untrained_feature_maps(weights["family"], weights["config_json"], image, layer)


def _field(weights: dict, image: np.ndarray, point: str) -> dict:
    if "path" in weights:
        return services.effective_field(weights["path"], weights["stamp"], image, point)
    return services.untrained_effective_field(weights["family"], weights["config_json"], image, point)


@kept
def maps_figure(point: dict, title: str) -> go.Figure:
    """The point's top channels, COLUMNS to a row, one colour scale from the smallest to the largest
    value shown, each panel titled by its channel and mean activation."""
    channels = point["channels"]
    rows = -(-len(channels) // COLUMNS)
    layout = grid(rows, COLUMNS, 0.03, 0.12 / rows)
    low = min(float(np.min(c["map"])) for c in channels)
    high = max(float(np.max(c["map"])) for c in channels)
    traces, annotations = [], []
    for i, channel in enumerate(channels):
        where = panel(i // COLUMNS + 1, i % COLUMNS + 1, COLUMNS)
        traces.append(on_panel(dict(type="heatmap", z=channel["map"], coloraxis="coloraxis",
                                    hovertemplate="x %{x}, y %{y}: %{z:.3f}<extra></extra>"), where))
        annotations.append(panel_title(layout, where, t("fmap.panel", channel=channel["channel"],
                                                         mean=f"{channel['mean']:.3f}")))
    image_axes(layout)
    layout.update(annotations=annotations, margin=dict(t=140),
                  coloraxis=dict(colorscale="Viridis", cmin=low, cmax=high,
                                 colorbar=dict(title=dict(text=t("fmap.colorbar"), side="right"))))
    return figure(traces, layout, title, 160 + 300 * rows)


SQUARE = "#00b4ff"  # the theoretical field's outline: a colour the Hot scale never takes


@kept
def effective_figure(image: np.ndarray, field: dict, title: str) -> go.Figure:
    """The image in grey beside the effective field (|gradient|, 1 = its largest) with the theoretical
    field's square drawn over it, both on the image's pixel grid; the square may reach past the image."""
    grey = image.mean(0)
    side_y, side_x = grey.shape
    layout = grid(1, 2, 0.08, 0.1)
    traces = [on_panel(dict(type="heatmap", z=grey, colorscale="gray", zmin=0, zmax=1, showscale=False,
                            hoverinfo="skip"), ""),
              on_panel(dict(type="heatmap", z=field["map"], colorscale="Hot", zmin=0, zmax=1,
                            colorbar=dict(title=dict(text=t("erf.colorbar"), side="right")),
                            hovertemplate="x %{x}, y %{y}: %{z:.3f}<extra></extra>"), "2")]
    shapes, low, high = [], [-0.5, -0.5], [side_y - 0.5, side_x - 0.5]
    if field["field"] is not None:
        half = field["field"] / 2
        cy, cx = field["centre"]
        box = [cx - half, cy - half, cx + half, cy + half]
        shapes = [dict(type="rect", xref=f"x{n}", yref=f"y{n}", x0=box[0], y0=box[1], x1=box[2], y1=box[3],
                       line=dict(color=SQUARE, width=3)) for n in ("", "2")]
        low, high = [min(low[0], box[1]), min(low[1], box[0])], [max(high[0], box[3]), max(high[1], box[2])]
    image_axes(layout)
    for suffix in ("", "2"):
        layout[f"xaxis{suffix}"].update(range=[low[1], high[1]])
        layout[f"yaxis{suffix}"].update(range=[high[0], low[0]], autorange=False)
    annotations = [panel_title(layout, "", t("erf.left", side=f"{side_y}×{side_x}")),
                   panel_title(layout, "2", t("erf.right"))]
    layout.update(shapes=shapes, annotations=annotations, margin=dict(t=150))
    return figure(traces, layout, title, 540)


def render(weights: dict, images: list[tuple[str, np.ndarray]], classes: list[str], caption: str,
           prefix: str = "fmap", layer: str | None = None) -> None:
    """`images`: (label, pixels (C, H, W) in [0, 1]) the student may send through the network;
    `weights`: see maps (untrained: said so, and no prediction shown); `caption`: under the figures'
    slide files (components/slides.py); `layer`: open at this layer (picked elsewhere, e.g. in the
    Layers table)."""
    k = keys(prefix)
    trained = "path" in weights
    st.subheader(t("fmap.title"))
    st.caption(t("fmap.help"))
    if not trained:
        st.warning(t("fmap.untrained"), icon=":material/casino:")
    labels = [label for label, _ in images]
    choice = st.selectbox(t("fmap.image"), labels, key=k["image"])
    image = images[labels.index(choice)][1]
    result = maps(weights, image)
    if "error" in result:
        error_text.show(st, result["error"])
        return
    stages = [p["name"] for p in result["points"]]
    if layer in stages or layer in result["layers"]:
        st.session_state[k["every"]] = layer not in stages
        st.session_state[k["point"]] = layer
    every = st.toggle(t("fmap.every"), key=k["every"], help=t("fmap.every_help"))
    names = result["layers"] if every else stages
    if st.session_state.get(k["point"]) not in names:
        st.session_state[k["point"]] = names[0]
    name = st.select_slider(t("fmap.point"), names, key=k["point"])
    if name in stages:
        point = result["points"][stages.index(name)]
    else:  # one layer between the stages: computed on request
        one = maps(weights, image, name)
        if "error" in one:
            error_text.show(st, one["error"])
            return
        point = one["points"][0]
    title = t("fmap.figure_title", point=point["name"], shape=shape(point["shape"]),
              low=f"{point['min']:.3g}", high=f"{point['max']:.3g}", top=len(point["channels"]))
    st.plotly_chart(maps_figure(point, title), key=k["figure"])
    slides.chart_downloads(k["figure"], caption, f"feature-maps-{point['name']}")
    label = result["label"]
    if trained:
        st.markdown(t("fmap.prediction", label=classes[label] if label < len(classes) else label,
                      probability=f"{result['probability']:.1%}"))
    field = _field(weights, image, name)
    if "error" in field:
        error_text.show(st, field["error"])
        return
    side = shape(image.shape[1:])
    theory = (t("erf.whole") if field["field"] is None else
              t("erf.square", field=field["field"], side=side, jump=field["jump"]))
    st.plotly_chart(effective_figure(image, field, t("erf.title", point=name, row=field["position"][0],
                                                     col=field["position"][1],
                                                     out=shape(field["output_side"]))),
                    key=k["erf"])
    slides.chart_downloads(k["erf"], caption, f"effective-field-{name}")
    st.caption(t("erf.caption", theory=theory))
