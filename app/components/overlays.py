"""Attribution maps laid over their images: one panel per image, a shared colour scale.

Each map is divided by its own maximum (1 = that image's strongest pixel): raw attributions differ
in scale between methods and images, and the question on screen is *where*, not *how much*.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .charts import FONT, _style
from .i18n import t

WRONG = "#d62728"


def overlay_figure(images: np.ndarray, maps: np.ndarray, titles: list[str], wrong: list[bool],
                   opacity: float, title: str, columns: int = 5) -> go.Figure:
    """Per image, the image in grey above the same image with its map laid over it in a hot colour
    scale (images (N, C, H, W) in [0, 1], maps (N, H, W)); `opacity` is the map's."""
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    spaced = [title for i in range(rows) for title in titles[i * columns:(i + 1) * columns]
              + [""] * (columns - len(titles[i * columns:(i + 1) * columns])) + [""] * columns]
    fig = make_subplots(rows=2 * rows, cols=columns, subplot_titles=spaced, horizontal_spacing=0.02,
                        vertical_spacing=0.1 / rows)
    for i, (image, amap) in enumerate(zip(images, maps, strict=True)):
        row, col = 2 * (i // columns) + 1, i % columns + 1
        grey = go.Heatmap(z=image.mean(0), colorscale="gray", zmin=0, zmax=1, showscale=False,
                          hoverinfo="skip")
        fig.add_trace(grey, row=row, col=col)
        fig.add_trace(grey, row=row + 1, col=col)
        fig.add_trace(go.Heatmap(z=amap / (float(amap.max()) or 1.0), colorscale="Hot", zmin=0, zmax=1,
                                 opacity=opacity, showscale=i == 0,
                                 hovertemplate="x %{x}, y %{y}: %{z:.2f}<extra></extra>",
                                 colorbar=dict(title=dict(text=t("attr.colorbar"), side="right"),
                                               thickness=16)), row=row + 1, col=col)
    fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, autorange="reversed", scaleanchor="x",
                     constrain="domain")
    for row in range(1, 2 * rows + 1, 2):  # say which row is which, once per pair, at the left
        fig.update_yaxes(title_text=t("attr.row_image"), row=row, col=1)
        fig.update_yaxes(title_text=t("attr.row_map"), row=row + 1, col=1)
    wrong_titles = {title for title, is_wrong in zip(titles, wrong, strict=True) if is_wrong}
    for annotation in fig.layout.annotations:
        annotation.font = dict(size=FONT - 1, color=WRONG if annotation.text in wrong_titles else "#222")
    fig = _style(fig, title, 150 + (520 if columns > 1 else 700) * rows)
    fig.update_layout(margin=dict(t=130))
    return fig
