"""The live memory view: the newest sample as a figure with its change since the start, and the
curve so far. Samples come from core's MemorySampler (about one a second while work runs)."""
from __future__ import annotations

import streamlit as st

from . import slides
from .i18n import t
from .memory_charts import live_figure, live_series

MIB = 2**20


def render(samples: list[dict], cuda: bool, key: str, slide: tuple[str, str]) -> None:
    """The gauge and the curve (chart key `key`), with its slide files: `slide` = (caption, file stem)."""
    series = live_series(samples, cuda)
    if not series:  # nothing sampled yet (the run is waiting for a slot)
        return
    main, first, last = series[0], samples[0], samples[-1]
    gauge, curve = st.columns([1, 3], vertical_alignment="center")
    gauge.metric(t("mem.live_now", series=t(f"mem.live_{main}")), f"{last[main] / MIB:,.0f} MiB",
                 delta=f"{(last[main] - first[main]) / MIB:+,.0f} MiB", delta_color="off")
    curve.plotly_chart(live_figure(samples, cuda, t("mem.live_title")), key=key)
    slides.chart_downloads(key, *slide, where=curve)
