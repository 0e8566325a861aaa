"""Hyperparameter widgets generated from a family's config schema (core FieldSpec dicts).

Widget values are what a person types: int_list fields stay "6,12,24,16" strings, and core parses
and validates them, so there is one set of rules. The page evaluates its values before drawing the
widgets, so core's error message can go right below the field it names.
"""
from __future__ import annotations

from . import error_text
from .field_help import help_text
from .field_names import label
from .i18n import t

# Wider int ranges get a number box to type in: on a slider 250 px wide, one pixel is more than one
# value, and reaching k = 12 from 32 took 20 key presses.
_SLIDER_SPAN = 64


def field_key(family: str, name: str) -> str:
    return f"cfg.{family}.{name}"


def widget_value(spec: dict, value):
    """A core config value as its widget holds it."""
    if spec["kind"] == "int_list":
        return ",".join(str(v) for v in value)
    return value


def _widget(family: str, spec: dict, container, on_change):
    name, kind = spec["name"], spec["kind"]
    shown = label(family, name)
    common = dict(key=field_key(family, name), help=help_text(family, spec), on_change=on_change,
                  args=(name,))
    if spec["choices"]:
        return container.radio(shown, spec["choices"], horizontal=True, **common)
    if kind == "bool":
        return container.toggle(shown, **common)
    if kind == "int_list":
        example = ",".join(str(v) for v in spec["default"])
        return container.text_input(shown, placeholder=t("explore.list_help", example=example), **common)
    if kind == "float":
        return container.slider(shown, float(spec["low"]), float(spec["high"]), step=0.01, **common)
    low, high = int(spec["low"]), int(spec["high"])
    if high - low <= _SLIDER_SPAN:
        return container.slider(shown, low, high, step=1, **common)
    # Unbounded: a typed value out of range reaches core, whose message goes below the box.
    return container.number_input(shown, step=1, **common)


def render(family: str, fields: list[dict], container, on_change, error: dict | None = None) -> bool:
    """Draw every field, each calling `on_change(field name)` when it changes, with core's `error` right
    below the field it names; whether it named one."""
    placed = False
    for spec in fields:
        _widget(family, spec, container, on_change)
        placed = error_text.show_if(container, error, f"{family}.{spec['name']}") or placed
    return placed
