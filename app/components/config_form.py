"""Hyperparameter widgets generated from a family's config schema (core FieldSpec dicts).

Widget values are what a person types: int_list fields stay "6,12,24,16" strings, and core parses
and validates them, so there is one set of rules. Each widget gets an empty slot right below it,
where the page puts core's error message when that field is the one rejected.
"""
from __future__ import annotations

import streamlit as st

from . import url_state
from .field_help import help_text
from .i18n import t

_SLIDER_SPAN = 256  # wider int ranges get a number box: a slider step would skip values


def field_key(family: str, name: str) -> str:
    return f"cfg.{family}.{name}"


def widget_value(spec: dict, value):
    """A core config value as its widget holds it."""
    if spec["kind"] == "int_list":
        return ",".join(str(v) for v in value)
    return value


def load(family: str, fields: list[dict], values: dict) -> None:
    """Put config values into the widgets (before they are drawn in this run)."""
    for spec in fields:
        if spec["name"] in values:
            st.session_state[field_key(family, spec["name"])] = widget_value(spec, values[spec["name"]])


def _widget(family: str, spec: dict, container):
    name, kind = spec["name"], spec["kind"]
    common = dict(key=field_key(family, name), help=help_text(family, spec), on_change=url_state.acted,
                  persist_state="session")
    if spec["choices"]:
        return container.radio(name, spec["choices"], horizontal=True, **common)
    if kind == "bool":
        return container.toggle(name, **common)
    if kind == "int_list":
        example = ",".join(str(v) for v in spec["default"])
        return container.text_input(name, placeholder=t("explore.list_help", example=example), **common)
    if kind == "float":
        return container.slider(name, float(spec["low"]), float(spec["high"]), step=0.01, **common)
    low, high = int(spec["low"]), int(spec["high"])
    if high - low <= _SLIDER_SPAN:
        return container.slider(name, low, high, step=1, **common)
    return container.number_input(name, low, high, step=1, **common)


def render(family: str, fields: list[dict], container) -> tuple[dict, dict]:
    """Draw every field; return ({field: widget value}, {"family.field": error slot})."""
    values, slots = {}, {}
    for spec in fields:
        values[spec["name"]] = _widget(family, spec, container)
        slots[f"{family}.{spec['name']}"] = container.empty()
    return values, slots
