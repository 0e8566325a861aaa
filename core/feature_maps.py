"""An image through a network, stage by stage: the activations after each block (a dense block, a
transition, a residual or Inception block, ...) and, in a network without blocks, after the last layer
at each feature-map size; at each point the channels with the largest mean activation, as images."""
from __future__ import annotations

import functools

import torch

from .analysis import analyze
from .analysis.receptive import WHOLE, centre_of_first_output, receptive_fields
from .analysis.trace import build_on_meta
from .errors import ConfigError
from .registry import build_model

SKIPPED = ("dense layer",)  # inside a dense block: its output is the block's concatenation's part
TOP_CHANNELS = 8
MAX_SIDE = 64  # larger maps are average-pooled to this side before they travel to the page


@functools.lru_cache(maxsize=8)
def _traced(config, input_shape: tuple) -> list:
    """The traced nodes of a config at an input, kept for the few configs asked for last: a page asks
    for the stages, the layers and the effective field of one checkpoint in a row."""
    return analyze(config, input_shape).trace.nodes


def points(config, input_shape) -> list[str]:
    """Module paths whose outputs are shown, in execution order (found on the meta device)."""
    nodes = [n for n in _traced(config, tuple(input_shape)) if n.op != "input"]
    found: list[str] = []
    for i, node in enumerate(nodes):
        block = next((path for path, cls in node.module_stack
                      if getattr(cls, "graph_block", None) and cls.graph_block not in SKIPPED), None)
        if block:
            if block not in found:
                found.append(block)
            continue
        following = nodes[i + 1] if i + 1 < len(nodes) else None
        ends_a_size = len(node.output_shape) == 4 and (
            following is None or len(following.output_shape) != 4
            or following.output_shape[2:] != node.output_shape[2:] or _in_block(following))
        if ends_a_size and node.op not in ("cat", "add", "mul") and node.path.split(".")[-1] != node.op:
            found.append(node.path)
    sides = {n.path: n.output_shape for n in nodes}
    sides.update({p: _block_output(nodes, p) for p in found if p not in sides})
    return [p for p in found if max(sides[p][2:], default=1) > 1]  # a 1×1 map is no image


def _block_output(nodes, block: str) -> tuple:
    """A block's output shape: that of its last traced node."""
    return _last_node(nodes, block).output_shape


def _last_node(nodes, path: str):
    """The traced node whose output is the module's output: itself, or a block's last node."""
    return next(n for n in reversed(nodes) if n.path == path or any(p == path for p, _ in n.module_stack))


def layers(config, input_shape) -> list[str]:
    """Every layer (a module, in execution order) whose output is a feature map of more than one
    position: what a student may ask to see beyond the stages. A module called more than once (a
    residual block's ReLU) is shown after its last call."""
    nodes = _traced(config, tuple(input_shape))
    modules = {name for name, _ in build_on_meta(config).named_modules() if name}
    return [n.path for n in nodes if n.path in modules and len(n.output_shape) == 4
            and max(n.output_shape[2:]) > 1]


def _in_block(node) -> bool:
    return any(getattr(cls, "graph_block", None) for _, cls in node.module_stack)


def feature_maps(model: torch.nn.Module, image: torch.Tensor, paths: list[str],
                 top: int = TOP_CHANNELS) -> dict:
    """For one image (1, C, H, W): per point its output shape, value range and its `top` channels by
    mean activation ({"channel", "mean", "map"}); and the predicted class with its probability."""
    outputs: dict[str, torch.Tensor] = {}
    hooks = [model.get_submodule(path).register_forward_hook(
        lambda _m, _i, out, path=path: outputs.__setitem__(path, out.detach()))
        for path in paths]
    try:
        with torch.no_grad():
            probabilities = model.eval()(image).softmax(1)[0]
    finally:
        for hook in hooks:
            hook.remove()
    shown = []
    for path in paths:
        out = outputs[path][0].float()
        means = out.mean(dim=(1, 2))
        order = means.argsort(descending=True)[:top]
        maps = out[order]
        if max(maps.shape[1:]) > MAX_SIDE:
            maps = torch.nn.functional.adaptive_avg_pool2d(maps[None], MAX_SIDE)[0]
        shown.append({"name": path, "shape": list(out.shape),
                      "min": float(out.min()), "max": float(out.max()),
                      "channels": [{"channel": int(c), "mean": float(means[c]), "map": m.numpy()}
                                   for c, m in zip(order, maps, strict=True)]})
    label = int(probabilities.argmax())
    return {"points": shown, "label": label, "probability": float(probabilities[label])}


def effective_field(model: torch.nn.Module, image: torch.Tensor, path: str, config) -> dict:
    """How far one output really sees (Luo et al. 2016, "Understanding the Effective Receptive Field
    in Deep Convolutional Neural Networks"): |∂ (the point's output at its centre position, summed over
    channels) / ∂ input|, summed over the input's channels and scaled to 1 at its largest; beside it the
    theoretical field (None: the whole input), its jump and the input pixel at the field's centre."""
    nodes = _traced(config, tuple(image.shape[1:]))
    node = _last_node(nodes, path)
    field, jump = receptive_fields(nodes)[node.id]
    first = centre_of_first_output(nodes, node.id)
    captured = {}
    hook = model.get_submodule(path).register_forward_hook(
        lambda _m, _i, out: captured.__setitem__("out", out))
    x = image.clone().requires_grad_(True)
    try:
        model.eval()(x)
    finally:
        hook.remove()
    out = captured["out"][0]
    position = [out.shape[1] // 2, out.shape[2] // 2]
    out[:, position[0], position[1]].sum().backward()
    gradient = x.grad[0].abs().sum(0)
    top = float(gradient.max())
    return {"map": (gradient / top if top > 0 else gradient).numpy(), "position": position,
            "output_side": list(out.shape[1:]), "field": None if field == WHOLE else int(field),
            "jump": None if jump is None else int(jump),
            "centre": [c + p * (jump or 0) for c, p in zip(first, position)]}


def inside(model: torch.nn.Module, config, image: torch.Tensor, layer: str | None = None) -> dict:
    """What a page asks for: feature_maps at every stage, or at one `layer` (any of `layers`; another
    name is refused with its name), with the layers one may ask for."""
    shape = tuple(image.shape[1:])
    every = layers(config, shape)
    if layer is not None and layer not in every:
        raise ConfigError("layer", f"{layer!r} is not a layer of this network with a feature map")
    shown = [layer] if layer else points(config, shape)
    return {**feature_maps(model, image, shown), "layers": every}


def field_of(model: torch.nn.Module, config, image: torch.Tensor, point: str) -> dict:
    """effective_field at a stage or a layer (another name is refused with its name)."""
    shape = tuple(image.shape[1:])
    if point not in points(config, shape) and point not in layers(config, shape):
        raise ConfigError("point", f"{point!r} is not a layer of this network with a feature map")
    return effective_field(model, image, point, config)


def untrained(config) -> torch.nn.Module:
    """The network as its constructor initialises it, the same weights every call (seed 0): what a
    student sees before training, without touching the process's random generator."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return build_model(config).eval()
