"""Queries on a model config: the catalogue, validation, the analysis (summary, channel growth, graph)
and exports. Analyses are kept per worker for the few configs asked for last (the page asks for the
summary, the channels and the graph of one config in a row)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

import core
from core.analysis import analyze
from core.analysis.channels import channel_growth
from core.analysis.graph import block_paths, build_graph
from core.analysis.sections import channel_curve, sections
from core.attribution import check_budget as check_pass_budget
from core.checkpoints import SUFFIXES as CHECKPOINT_SUFFIXES
from core.data import images_from_pixels
from core.export import export
from core.feature_maps import field_of, inside, untrained
from core.registry import config_from_dict, preset_of
from core.render import WORDS, fold, to_dot
from core.roofline import GPUS, layer_traffic, measured_examples_per_second
from core.roofline import roofline as _roofline

from . import error


def ready() -> bool:
    """Nothing: importing the worker modules (torch, captum, core) is what warms a worker."""
    from . import checkpoints, memory, training  # noqa: F401
    return True


def catalog() -> dict:
    """Families (title, field schema), presets (family, source, description, default input) and the
    checkpoint file types core reads and the words inside graph labels (which the page translates)."""
    families = {name: {"title": fam.title, "fields": [s.to_dict() for s in fam.config_cls.fields()]}
                for name, fam in core.FAMILIES.items()}
    presets = {name: {"family": p.family, "source": p.source, "description": p.description,
                      "config": core.get_config(name).to_dict(),
                      "input_shape": list(core.default_input(name))}
               for name, p in core.PRESETS.items()}
    return {"families": families, "presets": presets, "checkpoint_suffixes": list(CHECKPOINT_SUFFIXES),
            "graph_words": list(WORDS)}


def resolve(model: str, values_json: str) -> dict:
    """Validate a preset/family name plus widget values: the full config and its preset, or an error."""
    try:
        config = core.get_config(model, **json.loads(values_json))
    except core.ConfigError as exc:
        return error(exc)
    return {"family": config.family, "config": config.to_dict(), "config_json": config.to_json(),
            "preset": preset_of(config), "input_shape": list(config.default_input())}


@functools.lru_cache(maxsize=8)  # a densenet264 trace is tens of MB: a few configs only
def _analysis(family: str, config_json: str, input_shape: tuple, batch: int):
    return analyze(config_from_dict(family, json.loads(config_json)), input_shape, batch)


def _analysis_or_error(family, config_json, input_shape, batch):
    try:
        return _analysis(family, config_json, tuple(input_shape), batch), None
    except core.ConfigError as exc:
        return None, error(exc)


def summary(family: str, config_json: str, input_shape: tuple, batch: int = 1) -> dict:
    """core's summary JSON (params, MACs, FLOPs, depth, per-layer rows, each with the bytes it reads and
    writes for one example in fp32) plus the expandable blocks."""
    analysis, failed = _analysis_or_error(family, config_json, input_shape, batch)
    if failed:
        return failed
    summary = analysis.to_dict()
    for row in summary["layers"]:
        traffic = layer_traffic(row)
        row["bytes_fp32"] = traffic["read"] + traffic["written"]
    return {**summary, "blocks": block_paths(analysis.trace)}


def channels(family: str, config_json: str, input_shape: tuple) -> dict:
    analysis, failed = _analysis_or_error(family, config_json, input_shape, 1)
    return failed or channel_growth(analysis.trace)


def architecture(family: str, config_json: str, input_shape: tuple) -> dict:
    """The network as the chapter compares networks (core/analysis/sections.py): its stem, stages,
    transitions and head with their joins, and the channels each convolution reads against depth."""
    analysis, failed = _analysis_or_error(family, config_json, input_shape, 1)
    return failed or {"sections": sections(analysis.trace), "curve": channel_curve(analysis.trace)}


def graph(family: str, config_json: str, input_shape: tuple, expand: str | None, title: str,
          words: dict, fontsize: int, columns: int = 1) -> dict:
    """The graph IR at block level (one block optionally expanded), its DOT text (a chain folded into
    `columns` columns) and the columns it was drawn in (1 for a graph that is not a chain)."""
    analysis, failed = _analysis_or_error(family, config_json, input_shape, 1)
    if failed:
        return failed
    ir = build_graph(analysis.trace, "block", expand=expand)
    return {"nodes": len(ir["nodes"]), "edges": len(ir["edges"]), "ir": ir,
            "dot": to_dot(ir, title=title, fontsize=fontsize, words=words, columns=columns),
            "columns": len(set(fold(ir, columns).values())) or 1}


BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def roofline(family: str, config_json: str, input_shape: tuple, gpu: str, dtype: str, batch: int) -> dict:
    """The roofline totals of one config (core/roofline.py; per-layer rows left out) and, on the H100,
    the measured training throughput where docs/benchmarks.md has this exact preset and input."""
    analysis, failed = _analysis_or_error(family, config_json, input_shape, 1)
    if failed:
        return failed
    report = {k: v for k, v in _roofline(analysis.layers, gpu, dtype, batch).items() if k != "layers"}
    preset = preset_of(analysis.config)
    measured = measured_examples_per_second(BENCHMARKS.read_text()) if gpu == "h100" and dtype == "fp32" \
        and batch == 64 else {}
    row = measured.get(preset or "")
    fits = row is not None and list(row["input_shape"]) == list(input_shape)
    return {**report, "measured_examples_per_second": row["examples_per_second"] if fits else None,
            "gpus": {name: g.name for name, g in GPUS.items()}}


def export_text(family: str, config_json: str, input_shape: tuple, fmt: str):
    """'code' or 'json' text, or 'onnx' bytes (this allocates the real model, on demand only)."""
    return export(config_from_dict(family, json.loads(config_json)), fmt, tuple(input_shape))


def feature_maps(family: str, config_json: str, image: np.ndarray, layer: str | None = None) -> dict:
    """One image (C, H, W) through this config's network as initialised, untrained (core/feature_maps.py):
    what Explore shows for a model without weights."""
    try:
        config = config_from_dict(family, json.loads(config_json))
        check_pass_budget(config, 1, image.shape, None)
        return inside(untrained(config), config, images_from_pixels(image[None]), layer)
    except core.ConfigError as exc:
        return error(exc)


def effective_field(family: str, config_json: str, image: np.ndarray, point: str) -> dict:
    """How far one output of `point` sees in this image, through the untrained network."""
    try:
        config = config_from_dict(family, json.loads(config_json))
        check_pass_budget(config, 1, image.shape, "saliency")
        return field_of(untrained(config), config, images_from_pixels(image[None]), point)
    except core.ConfigError as exc:
        return error(exc)
