"""Two networks part by part, in two tables side by side with the same rows (core's sections, through
the engine): stem, each stage by its feature-map side, the transitions and the head, each with how its
paths join (add, concatenate, one-shot aggregation), its blocks or layers, its output channels and its
parameters; the cells where the two differ are highlighted. Beside it, the channels each convolution
reads against depth, both networks on one chart. ResNet-50 against DenseNet-121 reads as the chapter's
comparison."""
from __future__ import annotations

import streamlit as st

from app import services

from . import charts, error_text, slides
from .i18n import t
from .numbers import exact, shape

HIGHLIGHT = ":orange-background[**{}**]"  # a difference, readable on a projector
FIELDS = ("join", "units", "out_channels", "params")
ALIGN = {"out_channels": "---:", "params": "---:"}  # numbers to the right


def part(section: dict) -> str:
    side = section["side"]
    if section["role"] in ("stage", "transition") and side:
        return t(f"arch.{section['role']}", side=f"{side}×{side}")
    return t(f"arch.{section['role']}_plain")


def cell(section: dict | None, field: str) -> str:
    if section is None:
        return "–"
    if field == "join":
        return " + ".join(t(f"arch.join_{j}") for j in section["join"].split(" + "))
    if field == "units":
        one = "_one" if section["units"] == 1 else ""
        return t(f"arch.units_{section['unit']}{one}", n=section["units"])
    return exact(section[field])


def tables(rows: list[tuple]) -> tuple[list[list[list[str]]], list[list[bool]]]:
    """One table per model (one row per aligned part, the same rows in both, so they read across)
    and, per row, which of its cells differ between the two."""
    tables, differs = [[], []], []
    for pair in rows:
        label = part(pair[0] or pair[1])
        values = {f: (cell(pair[0], f), cell(pair[1], f)) for f in FIELDS}
        for i in (0, 1):
            tables[i].append([label] + [values[f][i] for f in FIELDS])
        differs.append([False] + [values[f][0] != values[f][1] for f in FIELDS])
    return tables, differs


def markdown_table(rows: list[list[str]], differs: list[list[bool]]) -> str:
    """A static table (a markdown element: a dataframe with a pandas Styler for the marks cost the
    Compare page a quarter of its CPU), every value escaped, the differing cells marked."""
    columns = [t("arch.part")] + [t(f"arch.col_{f}") for f in FIELDS]
    lines = ["| " + " | ".join(error_text.escape(c) for c in columns) + " |",
             "|---|" + "".join(ALIGN.get(f, "---") + "|" for f in FIELDS)]
    for row, marks in zip(rows, differs, strict=True):
        cells = (HIGHLIGHT.format(error_text.escape(v)) if d else error_text.escape(v)
                 for v, d in zip(row, marks, strict=True))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def aligned(a: list[dict], b: list[dict]) -> list[tuple]:
    """The two networks' parts paired by role and side, in order; one the other lacks (a DenseNet's
    transition) pairs with None."""
    def key(s):
        return s["role"], s["side"] if s["role"] in ("stage", "transition") else None
    keys_a, keys_b = [key(s) for s in a], [key(s) for s in b]
    rows, i, j = [], 0, 0
    while i < len(a) or j < len(b):
        if i < len(a) and j < len(b) and keys_a[i] == keys_b[j]:
            rows.append((a[i], b[j]))
            i, j = i + 1, j + 1
        elif i < len(a) and (j >= len(b) or keys_a[i] not in keys_b[j:]):
            rows.append((a[i], None))
            i += 1
        else:
            rows.append((None, b[j]))
            j += 1
    return rows


def render(models: list[dict]) -> None:
    """The first two compared models (each {"name", "model": (family, config_json, input_shape)})."""
    reports = [services.architecture(*m["model"]) for m in models[:2]]
    failed = next((r for r in reports if "error" in r), None)
    st.subheader(t("arch.title"))
    if failed:
        error_text.show(st, failed["error"])
        return
    names = [m["name"] for m in models[:2]]
    rows, differs = tables(aligned(reports[0]["sections"], reports[1]["sections"]))
    for column, name, table in zip(st.columns(2), names, rows, strict=True):
        column.markdown(f"**{error_text.escape(name)}**\n\n" + markdown_table(table, differs))
    st.caption(t("arch.caption", a=names[0], b=names[1]))
    st.plotly_chart(charts.channel_curves_figure({n: r["curve"] for n, r in zip(names, reports)}),
                    key="compare.arch_curve")
    caption = " · ".join(t("slides.model_at", name=m["name"], shape=shape(m["model"][2])) for m in models[:2])
    slides.chart_downloads("compare.arch_curve", caption, "channels-read")
