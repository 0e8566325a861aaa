"""Training-step memory as stacked bars: one bar per report, one colour per phase, every bar labelled
measured/estimated, device, dtype and batch."""
from __future__ import annotations

import plotly.graph_objects as go

from .charts import COLORS, FONT, figure, kept
from .i18n import t

PHASES = ("parameters", "gradients", "optimizer_state", "activations", "workspace")


def labels(report: dict) -> dict:
    """What every figure must say: measured or estimated, device, dtype, batch."""
    return dict(kind=t(f"mem.{report['kind']}"), dtype=report["dtype"], batch=report["batch"],
                device=t("mem.any_device") if report["device"] == "any" else report["device"])


def bar_label(report: dict) -> str:
    return t("mem.bar", **labels(report))


@kept
def timeline_figure(points: list[dict], title: str) -> go.Figure:
    """Allocated MiB against allocator events (CUDA memory history of one measurement)."""
    line = dict(type="scatter", x=[p["event"] for p in points], y=[p["allocated"] / 2**20 for p in points],
                mode="lines", line=dict(width=2, color=COLORS[3]),
                hovertemplate="%{y:,.1f} MiB<extra></extra>")
    layout = dict(xaxis=dict(title=dict(text=t("mem.timeline_x"))),
                  yaxis=dict(title=dict(text=t("mem.y")), rangemode="tozero"))
    return figure([line], layout, title, 420)


# What a live sample holds, in the order drawn: with CUDA the device's figures, else this process's RSS.
LIVE_SERIES = {True: ("allocated", "reserved", "device_used"), False: ("rss",)}


def live_series(samples: list[dict], cuda: bool) -> list[str]:
    """The series the samples hold (NVML's `device_used` only where nvidia-ml-py is installed)."""
    return [key for key in LIVE_SERIES[cuda] if samples and samples[-1].get(key) is not None]


def live_figure(samples: list[dict], cuda: bool, title: str) -> go.Figure:
    """MiB against seconds since the run started, one line per sampled series."""
    lines = [dict(type="scatter", x=[s["t"] for s in samples], y=[s[key] / 2**20 for s in samples],
                  mode="lines", name=t(f"mem.live_{key}"), line=dict(width=3, color=COLORS[i]),
                  hovertemplate="%{y:,.0f} MiB<extra>%{fullData.name}</extra>")
             for i, key in enumerate(live_series(samples, cuda))]
    layout = dict(xaxis=dict(title=dict(text=t("mem.live_x")), rangemode="tozero"),
                  yaxis=dict(title=dict(text=t("mem.y")), rangemode="tozero"),
                  legend=dict(orientation="h", y=-0.25), showlegend=True)
    return figure(lines, layout, title, 420, bottom=110)


@kept
def breakdown_figure(reports: list[dict], title: str, names: list[str] | None = None) -> go.Figure:
    """Stacked MiB per phase; the peak is written above each bar."""
    names = names or [bar_label(r) for r in reports]
    traces = [dict(type="bar", x=names, y=[r[f"{phase}_mib"] for r in reports], name=t(f"mem.{phase}"),
                   marker=dict(color=COLORS[i]), hovertemplate="%{y:,.1f} MiB<extra>%{fullData.name}</extra>")
              for i, phase in enumerate(PHASES)]
    top = max((r["peak_mib"] for r in reports), default=1)
    traces.append(dict(type="scatter", x=names, y=[r["peak_mib"] for r in reports], mode="text",
                       showlegend=False, text=[f"{r['peak_mib']:,.0f} MiB" for r in reports],
                       textposition="top center", textfont=dict(size=FONT), hoverinfo="skip"))
    layout = dict(barmode="stack", yaxis=dict(range=[0, top * 1.2], title=dict(text=t("mem.y"))),
                  legend=dict(orientation="h", y=-0.3))
    return figure(traces, layout, title, 480, bottom=140)
