"""Exports of a config: standalone PyTorch code, DOT, config JSON, ONNX."""
from __future__ import annotations

import ast
import importlib
import inspect
import io
import json
import warnings

import torch

from .registry import FAMILIES, build_model, default_input, resolve
from .schema import ArchConfig

FORMATS = ("code", "dot", "json", "onnx")


def standalone_source(module) -> str:
    """A module's source that runs alone: each module it imports from its own package (`from .x import
    y`: DenseNet's layout) is written before it, in place of that import. (Such a module must not use
    `from __future__`, which is allowed only at a file's top.)"""
    source = inspect.getsource(module)
    tree, lines, parts = ast.parse(source), source.splitlines(keepends=True), []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            parts.append(standalone_source(importlib.import_module(f".{node.module}", module.__package__)))
            lines[node.lineno - 1:node.end_lineno] = [""] * (node.end_lineno - node.lineno + 1)
    top = tree.body[0].end_lineno if ast.get_docstring(tree) else 0  # the file opens with what it builds
    head, own = "".join(lines[:top]), "".join(lines[top:])
    return "\n\n".join(part.strip("\n") for part in [head, *parts, own] if part.strip()) + "\n"


def to_code(config: ArchConfig, input_shape=None) -> str:
    """The family's standalone module source plus a line that builds this config (d2l style)."""
    family = FAMILIES[config.family]
    source = standalone_source(family.architecture)
    builder = family.builder.__name__
    args = ",\n    ".join(f"{k}={v!r}" for k, v in config.to_dict().items())
    c, h, w = input_shape or config.default_input()
    return (f"{source}\n\n# ---- the configured model (exported by CNN Architecture Explorer) ----\n"
            f"import torch  # noqa: E402  (the check below; the family's module may import nn only)\n\n"
            f"net = {builder}(\n    {args},\n)\n\n"
            f"if __name__ == \"__main__\":\n"
            f"    X = torch.randn(1, {c}, {h}, {w})\n"
            f"    with torch.no_grad():  # eval: batch norm after a dense layer needs 2+ examples to train\n"
            f"        print(net.eval()(X).shape, sum(p.numel() for p in net.parameters()), \"parameters\")\n")


def to_config_json(config: ArchConfig, name: str | None = None, input_shape=None) -> str:
    return json.dumps({"name": name or config.family, "family": config.family,
                       "config": config.to_dict(),
                       "input_shape": list(input_shape or config.default_input())}, indent=2) + "\n"


def to_onnx(config: ArchConfig, input_shape=None) -> bytes:
    """ONNX bytes (opens in Netron). This allocates the real model: weights are random init."""
    if "memory_efficient" in config.field_names():
        config = config.replace(memory_efficient=False)  # checkpointing is a training-time trick
    model = build_model(config).eval()
    x = torch.zeros(1, *(input_shape or config.default_input()))
    buffer = io.BytesIO()
    # The TorchScript exporter is deprecated but ~10x faster than the dynamo one for these
    # plain feed-forward models and writes a single self-contained file.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (x,), buffer, dynamo=False, input_names=["image"],
                          output_names=["logits"], opset_version=17)
    return buffer.getvalue()


def export(name_or_config, fmt: str, input_shape=None, level: str = "block", **overrides):
    """Text (str) or bytes of one export format."""
    from .analysis import analyze
    from .analysis.graph import build_graph
    from .render import to_dot
    config = resolve(name_or_config, **overrides)
    if input_shape is None:
        input_shape = default_input(name_or_config, **overrides)
    if fmt == "code":
        return to_code(config, input_shape)
    if fmt == "json":
        name = name_or_config if isinstance(name_or_config, str) else None
        return to_config_json(config, name, input_shape)
    if fmt == "dot":
        analysis = analyze(config, input_shape)
        return to_dot(build_graph(analysis.trace, level), title=analysis.name)
    if fmt == "onnx":
        return to_onnx(config, input_shape)
    raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
