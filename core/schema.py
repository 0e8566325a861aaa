"""Typed, bounded, described config fields shared by every architecture family.

A family config is a frozen dataclass whose fields are declared with :func:`param`. The metadata
(bounds, choices, list length, description) drives validation here, parsing of ``--set KEY=VALUE``
and the widgets the app builds, so a field is described once.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import ConfigError, field_error, format_value, plain


def param(default, description: str, *, low=None, high=None, choices=None, min_len=1, max_len=None):
    """Declare a config field. Lists are stored as tuples so configs stay hashable."""
    if isinstance(default, list):
        default = tuple(default)
    meta = dict(description=description, low=low, high=high, choices=choices,
                min_len=min_len, max_len=max_len)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class FieldSpec:
    """A plain description of one field, for UIs and docs (no torch, no dataclass magic)."""
    name: str
    kind: str  # "int" | "float" | "bool" | "str" | "int_list"
    default: Any
    description: str
    low: float | None
    high: float | None
    choices: tuple | None
    min_len: int
    max_len: int | None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _kind_of(default) -> str:
    for kind, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(default, typ):
            return kind
    if isinstance(default, tuple):
        return "int_list"
    raise TypeError(f"unsupported default {default!r}")


def smallest(accepts, low: int, high: int) -> int | None:
    """The smallest whole number in [low, high] that `accepts`, else None; `accepts` is monotone (an
    input side: once a model runs at it, it runs at every larger one), so a binary search finds it."""
    if not accepts(high):
        return None
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if accepts(mid) else (mid + 1, high)
    return low


@dataclass(frozen=True)
class ArchConfig:
    """Base of every family config: generic validation plus a family hook for cross-field rules."""
    family: ClassVar[str] = ""

    # ---- schema -------------------------------------------------------------------------
    @classmethod
    def fields(cls) -> list[FieldSpec]:
        specs = []
        for f in dataclasses.fields(cls):
            m = f.metadata
            specs.append(FieldSpec(f.name, _kind_of(f.default), f.default, m["description"],
                                   m["low"], m["high"], m["choices"], m["min_len"], m["max_len"]))
        return specs

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def create(cls, values: dict | None = None):
        """Build and validate a config from user values (strings from the CLI are parsed)."""
        values = dict(values or {})
        specs = {s.name: s for s in cls.fields()}
        unknown = [k for k in values if k not in specs]
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, specs, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(f"{cls.family}.{key}",
                              f"{cls.family} has no field '{key}': {hint}valid fields are "
                              f"{', '.join(specs)}")
        parsed = {k: _coerce(cls.family, specs[k], v) for k, v in values.items()}
        cfg = cls(**parsed)
        cfg.validate()
        return cfg

    def replace(self, **changes):
        merged = {**self.to_dict(), **changes}
        return type(self).create(merged)

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    # ---- validation ---------------------------------------------------------------------
    def validate(self) -> None:
        for spec in self.fields():
            _check_bounds(self.family, spec, getattr(self, spec.name))
        self.check()

    def check(self) -> None:
        """Cross-field rules of the family; raise :func:`self.error` on violation."""

    def error(self, name: str, rule: str, fix: str, *, code: str, suggestion: dict,
              **args) -> ConfigError:
        """A cross-field rule's error: `code` names the rule (the family's prefix is added),
        `suggestion` the field values that satisfy it, `args` the values its message uses."""
        return field_error(self.family, name, getattr(self, name), rule, fix,
                           code=f"{self.family}.{code}", args=args,
                           suggestion={k: plain(v) for k, v in suggestion.items()})

    def default_input(self) -> tuple[int, int, int]:
        raise NotImplementedError


def _coerce(family: str, spec: FieldSpec, value):
    """Parse CLI strings and JSON values into the field's type, or raise a ConfigError."""
    def fail(rule):
        return _field_error(family, spec, value, rule, "kind", {spec.name: spec.default})
    try:
        if spec.kind == "int_list":
            if isinstance(value, str):
                value = [v for v in value.replace(" ", "").split(",") if v != ""]
            if not isinstance(value, (list, tuple)):
                raise fail("is not a list of integers")
            return tuple(_to_int(v) for v in value)
        if spec.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise fail("must be true or false")
        if spec.kind == "int":
            return _to_int(value)
        if spec.kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return str(value)
    except (ValueError, TypeError, OverflowError):
        raise fail(f"is not {_kind_word(spec)}") from None


def _to_int(v) -> int:
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, float):
        if not v.is_integer():
            raise ValueError
        return int(v)
    if isinstance(v, str) and not re.fullmatch(r"\s*[+-]?[0-9]+\s*", v):
        raise ValueError  # int() also takes "١٢" and "1_000"; a field takes ASCII digits only
    return int(v)


def _kind_word(spec: FieldSpec) -> str:
    return {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
            "int_list": "a comma list of integers"}[spec.kind]


def _expected(spec: FieldSpec) -> str:
    if spec.choices:
        return "one of " + ", ".join(format_value(c) for c in spec.choices)
    kind = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
            "int_list": "a comma list of integers such as "
                        + format_value(spec.default)}[spec.kind]
    if spec.low is not None and spec.high is not None:
        kind += f" in [{format_value(spec.low)}, {format_value(spec.high)}]"
    return kind


def _field_error(family: str, spec: FieldSpec, value, rule: str, code: str, suggestion: dict,
                 fix: str | None = None, **args) -> ConfigError:
    """A bounds or type error with its structure: the rule's code and the field's kind, bounds and
    choices (what a UI needs to say "use ..." in its own language)."""
    return field_error(family, spec.name, value, rule, fix or f"use {_expected(spec)}", code=code,
                       args={"kind": spec.kind, "low": spec.low, "high": spec.high,
                             "choices": plain(spec.choices), "default": plain(spec.default), **args},
                       suggestion={k: plain(v) for k, v in suggestion.items()})


def _clamp(spec: FieldSpec, v):
    if spec.low is not None and v < spec.low:
        v = spec.low
    if spec.high is not None and v > spec.high:
        v = spec.high
    return type(spec.default[0] if spec.kind == "int_list" else spec.default)(v)


def _check_bounds(family: str, spec: FieldSpec, value) -> None:
    def fail(rule, code, suggestion, fix=None, **args):
        raise _field_error(family, spec, value, rule, code, {spec.name: suggestion}, fix, **args)

    if spec.choices is not None and value not in spec.choices:
        fail("must be one of " + ", ".join(format_value(c) for c in spec.choices), "choice", spec.default)
    items = value if spec.kind == "int_list" else (value,)
    if spec.kind == "int_list":
        if len(value) < spec.min_len:
            fail(f"needs at least {spec.min_len} entries", "min_len", spec.default,
                 f"give a comma list such as {format_value(spec.default)}", min_len=spec.min_len)
        if spec.max_len is not None and len(value) > spec.max_len:
            fail(f"has {len(value)} entries, at most {spec.max_len} allowed", "max_len",
                 value[:spec.max_len], f"give at most {spec.max_len} entries", count=len(value),
                 max_len=spec.max_len)
    if spec.kind in ("int", "float", "int_list"):
        fixed = tuple(spec.default if v != v else _clamp(spec, v) for v in items)
        fixed = fixed if spec.kind == "int_list" else fixed[0]
        for v in items:
            if v != v:  # NaN
                fail("must be a number", "nan", fixed)
            if spec.low is not None and v < spec.low:
                fail(f"must be ≥ {format_value(spec.low)}", "low", fixed)
            if spec.high is not None and v > spec.high:
                fail(f"must be ≤ {format_value(spec.high)}", "high", fixed)
