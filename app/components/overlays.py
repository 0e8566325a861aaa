"""Attribution maps laid over their images: one panel per image, a shared colour scale.

Each map is divided by its own maximum (1 = that image's strongest pixel): raw attributions differ
in scale between methods and images, and the question on screen is *where*, not *how much*.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .charts import figure, grid, image_axes, kept, on_panel, panel, panel_title
from .i18n import t

WRONG = "#d62728"


OUTLINE = "#00b4ff"  # the image's outline on a map: a colour the Hot scale never takes


@kept
def overlay_figure(images: np.ndarray, maps: np.ndarray, titles: list[str], wrong: list[bool],
                   title: str, columns: int = 5) -> go.Figure:
    """Per image, the image in grey above its map (images (N, C, H, W) in [0, 1], maps (N, H, W)).
    The map is drawn opaque, so each cell has exactly its colour-bar colour (a map blended over the
    image would not: 0 over a white pixel reads as 0.4), with the image's outline drawn over it as a
    line for orientation. Every panel keeps the image's aspect ratio."""
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    layout = grid(2 * rows, columns, 0.02, 0.1 / rows)
    traces, annotations = [], []
    for i, (image, amap) in enumerate(zip(images, maps, strict=True)):  # titles and wrong: one per image
        row, col = 2 * (i // columns) + 1, i % columns + 1
        above, below = panel(row, col, columns), panel(row + 1, col, columns)
        grey = image.mean(0)
        traces.append(on_panel(dict(type="heatmap", z=grey, colorscale="gray", zmin=0, zmax=1,
                                    showscale=False, hoverinfo="skip"), above))
        traces.append(on_panel(dict(type="heatmap", z=amap / (float(amap.max()) or 1.0), colorscale="Hot",
                                    zmin=0, zmax=1, showscale=i == 0,
                                    hovertemplate="x %{x}, y %{y}: %{z:.2f}<extra></extra>",
                                    colorbar=dict(title=dict(text=t("attr.colorbar"), side="right"),
                                                  thickness=16)), below))
        traces.append(on_panel(dict(type="contour", z=grey,
                                    contours=dict(coloring="none", start=0.5, end=0.5, size=1),
                                    line=dict(color=OUTLINE, width=2), showscale=False, hoverinfo="skip",
                                    name=t("attr.outline"), showlegend=False), below))  # the bar's place
        # The panel's title above it, where make_subplots puts a subplot title.
        annotations.append(panel_title(layout, above, titles[i], color=WRONG if wrong[i] else "#222"))
    image_axes(layout)
    for row in range(1, 2 * rows + 1, 2):  # say which row is which, once per pair, at the left
        layout[f"yaxis{panel(row, 1, columns)}"]["title"] = dict(text=t("attr.row_image"))
        layout[f"yaxis{panel(row + 1, 1, columns)}"]["title"] = dict(text=t("attr.row_map"))
    layout.update(annotations=annotations, margin=dict(t=130))
    return figure(traces, layout, title, 150 + (520 if columns > 1 else 700) * rows)
