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


OUTLINE = "#00b4ff"  # the image's outline on a map: a colour the Hot scale never takes


def overlay_figure(images: np.ndarray, maps: np.ndarray, titles: list[str], wrong: list[bool],
                   title: str, columns: int = 5) -> go.Figure:
    """Per image, the image in grey above its map (images (N, C, H, W) in [0, 1], maps (N, H, W)).
    The map is drawn opaque, so each cell has exactly its colour-bar colour (a map blended over the
    image would not: 0 over a white pixel reads as 0.4), with the image's outline drawn over it as a
    line for orientation. Every panel keeps the image's aspect ratio."""
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    spaced = [title for i in range(rows) for title in titles[i * columns:(i + 1) * columns]
              + [""] * (columns - len(titles[i * columns:(i + 1) * columns])) + [""] * columns]
    fig = make_subplots(rows=2 * rows, cols=columns, subplot_titles=spaced, horizontal_spacing=0.02,
                        vertical_spacing=0.1 / rows)
    for i, (image, amap) in enumerate(zip(images, maps, strict=True)):
        row, col = 2 * (i // columns) + 1, i % columns + 1
        grey = image.mean(0)
        fig.add_trace(go.Heatmap(z=grey, colorscale="gray", zmin=0, zmax=1, showscale=False,
                                 hoverinfo="skip"), row=row, col=col)
        fig.add_trace(go.Heatmap(z=amap / (float(amap.max()) or 1.0), colorscale="Hot", zmin=0, zmax=1,
                                 showscale=i == 0, hovertemplate="x %{x}, y %{y}: %{z:.2f}<extra></extra>",
                                 colorbar=dict(title=dict(text=t("attr.colorbar"), side="right"),
                                               thickness=16)), row=row + 1, col=col)
        fig.add_trace(go.Contour(z=grey, contours=dict(coloring="none", start=0.5, end=0.5, size=1),
                                 line=dict(color=OUTLINE, width=2), showscale=False, hoverinfo="skip",
                                 name=t("attr.outline"), showlegend=False),  # the bar's place
                      row=row + 1, col=col)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed",
                     constrain="domain")
    for y_axis in [name for name in fig.layout if name.startswith("yaxis")]:  # each panel square
        fig.layout[y_axis].scaleanchor = y_axis.replace("yaxis", "x")
    for row in range(1, 2 * rows + 1, 2):  # say which row is which, once per pair, at the left
        fig.update_yaxes(title_text=t("attr.row_image"), row=row, col=1)
        fig.update_yaxes(title_text=t("attr.row_map"), row=row + 1, col=1)
    wrong_titles = {title for title, is_wrong in zip(titles, wrong, strict=True) if is_wrong}
    for annotation in fig.layout.annotations:
        annotation.font = dict(size=FONT - 1, color=WRONG if annotation.text in wrong_titles else "#222")
    fig = _style(fig, title, 150 + (520 if columns > 1 else 700) * rows)
    fig.update_layout(margin=dict(t=130))
    return fig
