"""Queries on a model config (the engine's workers compute them; app/workers/analysis.py): the
catalogue, validation, summary, channel growth, graph and its SVG layout, exports. Results are cached
by (model name, config JSON, input shape): the key is the *validated* config, so two URLs that spell
the same model differently share one analysis."""
from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

from app import engine

from .caching import cached, shared


@shared(max_entries=1)
def catalog() -> dict:
    """Families (title, field schema), presets (family, source, description, default input), the
    checkpoint file types core reads and the words inside graph labels."""
    return engine.query("analysis.catalog")


@cached(max_entries=512)
def resolve(model: str, values_json: str) -> dict:
    """Validate a preset/family name plus widget values: the full config and its preset, or an error."""
    return engine.query("analysis.resolve", model, values_json)


@cached(max_entries=128)
def summary(family: str, config_json: str, input_shape: tuple, batch: int = 1) -> dict:
    """core's summary JSON (params, MACs, FLOPs, depth, per-layer rows) plus the expandable blocks."""
    return engine.query("analysis.summary", family, config_json, tuple(input_shape), batch)


@cached(max_entries=128)
def channels(family: str, config_json: str, input_shape: tuple) -> dict:
    return engine.query("analysis.channels", family, config_json, tuple(input_shape))


@cached(max_entries=64)
def architecture(family: str, config_json: str, input_shape: tuple) -> dict:
    """{"sections": stem, stages, transitions, head with their joins; "curve": channels each
    convolution reads against its depth} (core/analysis/sections.py)."""
    return engine.query("analysis.architecture", family, config_json, tuple(input_shape))


@cached(max_entries=32)
def untrained_feature_maps(family: str, config_json: str, image, layer: str | None = None) -> dict:
    """One image through the config's network as initialised (no training): per stage (or at one
    `layer`) its shape, value range and top channels' maps; the layers one may ask for."""
    return engine.query("analysis.feature_maps", family, config_json, image, layer)


@cached(max_entries=32)
def untrained_effective_field(family: str, config_json: str, image, point: str) -> dict:
    """|∂ one output of `point` / ∂ input| for this image through the untrained network."""
    return engine.query("analysis.effective_field", family, config_json, image, point)


@cached(max_entries=128)
def roofline(family: str, config_json: str, input_shape: tuple, gpu: str, dtype: str = "fp32",
             batch: int = 64) -> dict:
    """Bytes moved, intensity and the roofline's predicted training throughput on a named GPU."""
    return engine.query("analysis.roofline", family, config_json, tuple(input_shape), gpu, dtype, batch)


PROJECTOR_FONT_PT = 15  # graph labels that read from the back of a classroom


@cached(max_entries=128)
def graph(family: str, config_json: str, input_shape: tuple, expand: str | None, title: str,
          words: tuple[tuple[str, str], ...], columns: int = 1) -> dict:
    """The graph IR at block level (one block optionally expanded) and its DOT text, titled `title`
    (the page's model name: a preset, or a preset with a * when changed), its labels in `words`
    ((word, translation) for each of the catalogue's graph_words), a chain folded into `columns`."""
    return engine.query("analysis.graph", family, config_json, tuple(input_shape), expand, title,
                        dict(words), PROJECTOR_FONT_PT, columns)


def svg_available() -> bool:
    """Server-side SVG needs Graphviz's `dot` binary, which not every host has."""
    return shutil.which("dot") is not None


# Graphviz's layout time grows steeply with edges: densenet201's 48-layer block took 21 s, densenet264's
# 64-layer block over 400 s, and six such links kept both cores busy. A layout gets a deadline (the
# process is killed at it), and only a few run at once; the others are told to try again.
DOT_TIMEOUT_S = 10
MAX_CONCURRENT_LAYOUTS = 2
BROWSER_LAYOUT_EDGES = 150  # a busy server lets the reader's browser lay out graphs up to this size
_layouts = threading.BoundedSemaphore(MAX_CONCURRENT_LAYOUTS)


class LayoutRefused(RuntimeError):
    """Graphviz did not lay the graph out: past its deadline, or too many layouts already running."""


@shared(max_entries=128)
def dot_to_svg(dot: str) -> str:
    """The SVG document `dot` lays out (from its <svg> element on: it is shown inline and downloaded).
    Raises LayoutRefused (not cached) past DOT_TIMEOUT_S or while MAX_CONCURRENT_LAYOUTS run."""
    svg = _run_dot(dot, ["-Tsvg"], wait_s=1.0).decode("utf-8")
    return svg[svg.index("<svg"):]


# For slides: cairo's SVG draws every glyph as a path (the file looks the same on a machine without
# the font), and the PNG is at 192 dpi, twice the 96 dpi of the drawing's own size on screen.
SLIDE_FORMATS = {"svg": ["-Tsvg:cairo"], "png": ["-Tpng", "-Gdpi=192"]}


def dot_slide(dot: str, fmt: str) -> bytes:
    """The graph as a slide file (SLIDE_FORMATS), made when its download is pressed (a deliberate
    action: it waits for a free layout up to DOT_TIMEOUT_S); LayoutRefused as for dot_to_svg."""
    return _run_dot(dot, SLIDE_FORMATS[fmt], wait_s=DOT_TIMEOUT_S)


def _run_dot(dot: str, args: list[str], wait_s: float) -> bytes:
    if not _layouts.acquire(timeout=wait_s):
        raise LayoutRefused("busy")
    try:
        return subprocess.run(["dot", *args], input=dot.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_S, check=True).stdout
    except subprocess.TimeoutExpired:  # subprocess.run has killed dot by now
        raise LayoutRefused("timeout") from None
    except (subprocess.CalledProcessError, OSError) as exc:
        raise LayoutRefused("failed") from exc
    finally:
        _layouts.release()


@shared(max_entries=32)
def export_text(family: str, config_json: str, input_shape: tuple, fmt: str) -> str:
    """'code' or 'json' export of a config."""
    return engine.query("analysis.export_text", family, config_json, tuple(input_shape), fmt)


@shared(max_entries=8)
def export_onnx(family: str, config_json: str, input_shape: tuple) -> bytes:
    """ONNX bytes; this allocates the real model, so the UI asks for it on demand only."""
    return engine.query("analysis.export_text", family, config_json, tuple(input_shape), "onnx")


DOCS = Path(__file__).resolve().parents[2] / "docs"


def benchmark_section(name: str) -> str:
    """A section of docs/benchmarks.md, shown as a cited reference: from its `## ` heading to its
    `<!-- /bench:NAME -->` end marker (the scripts that write the file own the markers)."""
    text = (DOCS / "benchmarks.md").read_text()
    before, end, _ = text.partition(f"<!-- /bench:{name} -->")
    return before[before.rfind("\n## ") + 1:].strip() if end else ""
