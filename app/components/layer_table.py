"""The Layers tab: core's per-layer rows as a sortable, selectable table with a totals row, and a CSV
download."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from .i18n import t
from .numbers import shape

COLUMNS = ("name", "type", "input", "output", "params", "macs", "bytes", "field", "jump")
WHOLE_INPUT = "whole input"  # core's receptive field of a layer that sees every input pixel


def pixels(value) -> str:
    """A receptive field or jump in input pixels, as text: a number, or "whole input" (translated)."""
    if value == WHOLE_INPUT:
        return t("layers.whole_input")
    return "" if value is None else f"{value:,}"


def row_values(row: dict) -> tuple:
    """One traced layer's values in COLUMNS' order (batch dimension dropped from shapes)."""
    return (row["name"], row["type"], ", ".join(shape(s[1:]) for s in row["input_shapes"]),
            shape(row["output_shape"][1:]), row["params"], row["macs"], row["bytes_fp32"],
            pixels(row["receptive_field"]), pixels(row["jump"]))


def layer_frame(summary: dict) -> pd.DataFrame:
    """One row per traced layer, then the totals row."""
    rows = [row_values(row) for row in summary["layers"]]
    rows.append((t("layers.total"), "", "", shape(summary["output_shape"][1:]), summary["total_params"],
                 summary["macs"], sum(row["bytes_fp32"] for row in summary["layers"]), "", ""))
    # The headers in the page's language, looked up once (a densenet264 has ~1,000 rows).
    return pd.DataFrame(rows, columns=[t(f"col.{column}") for column in COLUMNS])


INT64_MAX = 2**63 - 1


def shown_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as the browser gets it: counts past int64 (the largest configs' MACs pass 9.2·10¹⁸)
    cannot travel as Arrow integers and blanked the page; they are sent as floats, still sortable,
    while the CSV keeps them exact."""
    shown = frame.copy()
    for column in (t("col.params"), t("col.macs")):
        if shown[column].map(abs).max() > INT64_MAX:
            shown[column] = shown[column].astype(float)
    return shown


def render(summary: dict, key: str) -> str | None:
    """The table and its CSV; returns the layer whose row the student selected (None: none, or the
    totals row). Selected rows are numbered as the frame's, however the browser sorted it."""
    frame = layer_frame(summary)
    st.caption(t("layers.summary", rows=len(summary["layers"]), params=f"{summary['total_params']:,}",
                 macs=f"{summary['macs']:,}"))
    event = st.dataframe(shown_frame(frame), hide_index=True, width="stretch", height=560, key=key,
                         on_select="rerun", selection_mode="single-row",
                 column_config={**{t(c): st.column_config.NumberColumn(format="localized")
                                   for c in ("col.params", "col.macs", "col.bytes")},
                                t("col.field"): st.column_config.TextColumn(help=t("col.field_help")),
                                t("col.jump"): st.column_config.TextColumn(help=t("col.jump_help"))})
    rows = event.selection.rows
    st.download_button(t("layers.download"), frame.to_csv(index=False).encode(),
                       file_name=f"{summary['name']}-layers.csv", mime="text/csv",
                       key="explore.download_csv", on_click="ignore")
    return summary["layers"][rows[0]]["name"] if rows and rows[0] < len(summary["layers"]) else None
