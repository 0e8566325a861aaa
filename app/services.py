"""The one place app/ calls core. Everything returned is a plain dict/list/str (JSON-ready).

Results are cached by (model name, config JSON, input shape): the key is the *validated* config, so
two URLs that spell the same model differently share one analysis. Bad input never raises out of
here; it comes back as ``{"error": {"field": ..., "message": ...}}`` for the UI to place.
"""
from __future__ import annotations

import json
import shutil

import streamlit as st

import core
from core.analysis import analyze
from core.analysis.channels import channel_growth
from core.analysis.graph import block_paths, build_graph
from core.export import export
from core.registry import config_from_dict, preset_of
from core.render import to_dot


@st.cache_data(show_spinner=False)
def catalog() -> dict:
    """Families (title, field schema) and presets (family, source, description, default input)."""
    families = {name: {"title": fam.title, "fields": [s.to_dict() for s in fam.config_cls.fields()]}
                for name, fam in core.FAMILIES.items()}
    presets = {name: {"family": p.family, "source": p.source, "description": p.description,
                      "config": core.get_config(name).to_dict(),
                      "input_shape": list(core.default_input(name))}
               for name, p in core.PRESETS.items()}
    return {"families": families, "presets": presets}


def _error(exc: core.ConfigError) -> dict:
    return {"error": {"field": exc.field, "message": exc.message}}


@st.cache_data(show_spinner=False, max_entries=512)
def resolve(model: str, values_json: str) -> dict:
    """Validate a preset/family name plus widget values: the full config and its preset, or an error."""
    try:
        config = core.get_config(model, **json.loads(values_json))
    except core.ConfigError as exc:
        return _error(exc)
    return {"family": config.family, "config": config.to_dict(), "config_json": config.to_json(),
            "preset": preset_of(config), "input_shape": list(config.default_input())}


@st.cache_resource(show_spinner=False, max_entries=64)
def _analysis(family: str, config_json: str, input_shape: tuple, batch: int):
    """The core Analysis (holds the trace the graph views need); shared read-only, never mutated."""
    return analyze(config_from_dict(family, json.loads(config_json)), input_shape, batch)


def _analysis_or_error(family, config_json, input_shape, batch):
    try:
        return _analysis(family, config_json, tuple(input_shape), batch), None
    except core.ConfigError as exc:
        return None, _error(exc)


@st.cache_data(show_spinner=False, max_entries=128)
def summary(family: str, config_json: str, input_shape: tuple, batch: int = 1) -> dict:
    """core's summary JSON (params, MACs, FLOPs, depth, per-layer rows) plus the expandable blocks."""
    analysis, error = _analysis_or_error(family, config_json, input_shape, batch)
    if error:
        return error
    return {**analysis.to_dict(), "blocks": block_paths(analysis.trace)}


@st.cache_data(show_spinner=False, max_entries=128)
def channels(family: str, config_json: str, input_shape: tuple) -> dict:
    analysis, error = _analysis_or_error(family, config_json, input_shape, 1)
    return error or channel_growth(analysis.trace)


@st.cache_data(show_spinner=False, max_entries=128)
def graph(family: str, config_json: str, input_shape: tuple, expand: str | None) -> dict:
    """The graph IR at block level (one block optionally expanded) and its DOT text."""
    analysis, error = _analysis_or_error(family, config_json, input_shape, 1)
    if error:
        return error
    ir = build_graph(analysis.trace, "block", expand=expand)
    return {"nodes": len(ir["nodes"]), "edges": len(ir["edges"]), "ir": ir,
            "dot": to_dot(ir, title=analysis.name)}


def svg_available() -> bool:
    """Server-side SVG needs Graphviz's `dot` binary, which not every host has."""
    return shutil.which("dot") is not None


@st.cache_data(show_spinner=False, max_entries=32)
def dot_to_svg(dot: str) -> bytes:
    import graphviz  # the Python package only shells out to `dot`; imported where it is used
    return graphviz.Source(dot).pipe(format="svg")


@st.cache_data(show_spinner=False, max_entries=32)
def export_text(family: str, config_json: str, input_shape: tuple, fmt: str) -> str:
    """'code' or 'json' export of a config."""
    config = config_from_dict(family, json.loads(config_json))
    return export(config, fmt, tuple(input_shape))


@st.cache_data(show_spinner=False, max_entries=8)
def export_onnx(family: str, config_json: str, input_shape: tuple) -> bytes:
    """ONNX bytes; this allocates the real model, so the UI asks for it on demand only."""
    config = config_from_dict(family, json.loads(config_json))
    return export(config, "onnx", tuple(input_shape))
