"""Connection-strength heatmaps (paper Fig. 5): one plotly figure per dense block, source × target.

Cells are placed on numeric axes (0..n-1) with text tick labels, so the outline of the
transition/classifier column can be drawn in the same coordinates as the cells.
"""
from __future__ import annotations

import csv
import io

import plotly.graph_objects as go

from .charts import FONT, figure, kept
from .i18n import t

# Beyond the dense layers a block's last column is the layer that reads the whole block output.
_EXTRA_COLUMNS = {"transition": ("conn.transition", "conn.trans_short"),
                  "classifier": ("conn.classifier", "conn.class_short")}
# PNG export through plotly's own camera button: rendered in the browser, nothing to install.
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def _target_labels(target: str) -> tuple[str, str]:
    """(hover label, tick label) of a target column: 'layer 3' -> ('3', '3')."""
    kind = target.split()[0]
    if kind in _EXTRA_COLUMNS:
        full, short = _EXTRA_COLUMNS[kind]
        return t(full), t(short)
    number = target.split()[-1]
    return number, number


def _source_label(s: int) -> str:
    return f"0 ({t('conn.block_input')})" if s == 0 else str(s)


def color_range(blocks: list[dict], from_zero: bool = True) -> tuple[float, float]:
    """(zmin, zmax) shared by every block of one heatmap kind, so one colour means one value on the
    page. From 0 by default: a palette spread over 0.924–1.0 shows a 7.6 % difference as "none"."""
    values = [v for b in blocks for row in b["matrix"] for v in row if v is not None]
    return (0.0 if from_zero else min(values)), max(values)


@kept
def block_figure(block: dict, kind: str, colorbar: str, zrange: tuple[float, float]) -> go.Figure:
    """The heatmap of one block on the colour range `zrange`; hover shows (s, ℓ, value); the extra
    column is outlined."""
    sources, targets, matrix = block["sources"], block["targets"], block["matrix"]
    hover_targets = [_target_labels(name)[0] for name in targets]
    ticks = [_target_labels(name)[1] for name in targets]
    custom = [[[_source_label(s), target] for target in hover_targets] for s in range(len(sources))]
    heatmap = dict(
        type="heatmap", z=matrix, x=list(range(len(targets))), y=list(range(len(sources))), customdata=custom,
        colorscale="Viridis", zmin=zrange[0], zmax=zrange[1], hoverongaps=False, xgap=1, ygap=1,
        colorbar=dict(title=dict(text=colorbar, side="right"), thickness=16),
        hovertemplate=(f"{t('conn.source')} = %{{customdata[0]}}<br>{t('conn.target')} = %{{customdata[1]}}"
                       f"<br>{colorbar} = %{{z:.4f}}<extra></extra>"))
    last = len(targets) - 1
    outline = [dict(type="rect", x0=last - 0.5, x1=last + 0.5, y0=-0.5, y1=len(sources) - 0.5,
                    line=dict(color="#d62728", width=4))] if targets[-1].split()[0] in _EXTRA_COLUMNS else []
    layout = dict(
        xaxis=dict(title=dict(text=t("conn.target")), tickvals=list(range(len(targets))), ticktext=ticks,
                   tickangle=0, side="bottom"),
        yaxis=dict(title=dict(text=t("conn.source")), tickvals=list(range(len(sources))),
                   ticktext=[str(s) for s in range(len(sources))], autorange="reversed"),
        shapes=outline, title=dict(font=dict(size=FONT + 1)), margin=dict(l=70, r=20, t=60, b=60))
    block_number = block["name"].split()[-1]
    title = t("conn.figure_title", block=t("conn.block", b=block_number), kind=kind)
    return figure([heatmap], layout, title, 470)


def to_csv(heatmaps: dict[str, dict]) -> bytes:
    """Long-format CSV of several heatmaps: kind, scale, block, source, target, value."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "scale", "block", "source", "target", "value"])
    for kind, data in heatmaps.items():
        for block in data["blocks"]:
            for s, row in enumerate(block["matrix"]):
                for target, value in zip(block["targets"], row, strict=True):
                    if value is not None:
                        writer.writerow([kind, data["normalize"], block["name"], block["sources"][s],
                                         target, f"{value:.6g}"])
    return out.getvalue().encode()
