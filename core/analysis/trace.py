"""Trace a config's model with torch.fx and propagate shapes through it without allocating.

The model is built on the meta device (its init skipped), traced once, and every node's output shape
and MACs are derived from its inputs' shapes (rules in shapes.py). A node without a rule runs on meta
tensors under torch.utils.flop_counter, so unusual ops are still counted, just slower.
"""
from __future__ import annotations

import collections
import functools
import threading
from dataclasses import dataclass, field

import torch
import torch.fx as fx
from torch.fx.node import map_aggregate, map_arg
from torch.utils.flop_counter import FlopCounterMode

from ..errors import ConfigError
from ..registry import FAMILIES
from ..schema import ArchConfig
from ..schema import smallest as least
from .receptive import receptive_fields
from .shapes import FUNCTION_RULES, MODULE_RULES, Collapse, Shape

_INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
                   "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                   "orthogonal_", "sparse_")


@dataclass
class TracedNode:
    """One step of the forward pass: a leaf layer or a functional op (cat, add, ...)."""
    id: str                       # unique fx node name
    path: str                     # module path (layers) or enclosing path + "." + op (functions)
    op: str                       # "Conv2d", "BatchNorm2d", "cat", "add", ...
    inputs: list[str]             # ids of the nodes feeding this one ("x" is the image)
    input_shapes: list[tuple]
    output_shape: tuple
    params: int = 0
    macs: int = 0
    module_stack: list[tuple[str, type]] = field(default_factory=list)  # enclosing modules
    window: tuple | None = None   # a sliding window's [kernel], [stride], [padding] per axis (receptive.py)


@dataclass
class Trace:
    config: ArchConfig
    input_shape: tuple            # (C, H, W)
    batch: int
    nodes: list[TracedNode]
    total_params: int
    trainable_params: int
    flops: int                    # conv + linear FLOPs (2 per MAC) for the whole batch

    @functools.cached_property
    def receptive_fields(self) -> dict[str, tuple[float, float | None]]:
        """receptive.receptive_fields of the nodes, walked once for the rows and the graph alike."""
        return receptive_fields(self.nodes)


def _unless_meta(init_function):
    """`init_function` that hands a meta tensor back untouched: a meta tensor has no values to fill, yet
    the Python around the fill (fan computation, gain, no_grad) was ~40 % of building a model on meta."""
    if getattr(init_function, "_skips_meta", False):
        return init_function

    @functools.wraps(init_function)
    def init_unless_meta(tensor, *args, **kwargs):
        return tensor if tensor.is_meta else init_function(tensor, *args, **kwargs)

    init_unless_meta._skips_meta = True
    return init_unless_meta


# Installed once, for every thread: a real tensor goes through the original function unchanged, so
# training or attributions in other threads see torch's own init. Layers look these functions up on
# torch.nn.init when they reset their parameters, so the wrappers are what they call. (A torch function
# mode that skipped them instead costs more than it saves: it intercepts every torch call of a build.)
for _name in _INIT_FUNCTIONS:
    setattr(torch.nn.init, _name, _unless_meta(getattr(torch.nn.init, _name)))


class _ThreadSafeTracer(fx.Tracer):
    """fx.Tracer that leaves other threads alone.

    While it traces, fx patches torch.nn.Module.__call__ and __getattr__ on the class, so in a server
    that analyses for one session while another session's thread runs a model (training, attributions,
    a second analysis), that thread's module calls would land in this tracer and fail ("module is not
    installed as a submodule"). Calls from other threads go straight to the module here; and traces
    take turns, because two overlapping patch/restore pairs can leave a tracer's patch installed.
    """
    _turn = threading.Lock()

    def __init__(self):
        super().__init__()
        self.scope = _Scope("", None)
        self.module_stack = _ModuleStack()

    def trace(self, root, concrete_args=None) -> fx.Graph:
        with self._turn:
            self._owner = threading.get_ident()
            try:
                return super().trace(root, concrete_args)
            finally:
                # fx leaves the tracer in reference cycles (closures it patched in hold it), so the model
                # it holds (~8,000 objects for densenet121) would wait for a full garbage collection, which
                # takes 60–100 ms in a busy server. Dropped here, the model goes when the analysis is done.
                self.__dict__.pop("root", None)

    def create_arg(self, a):
        # Nearly every argument is a proxy of this trace, a plain number, or a tuple or list of them (a
        # node's arguments, a concatenation's inputs); fx's own method first tries a dozen tensor, module
        # and constant cases on each (~10 % of a trace, and the tuples and lists ~7 % more), then gives
        # these same results.
        if type(a) is fx.Proxy:
            return a.node
        if a is None or type(a) in (int, float, bool, str):
            return a
        if type(a) is tuple:
            return tuple(self.create_arg(x) for x in a)
        if type(a) is list:
            return [self.create_arg(x) for x in a]
        return super().create_arg(a)

    def _foreign(self) -> bool:
        return threading.get_ident() != self._owner

    def call_module(self, m, forward, args, kwargs):
        return forward(*args, **kwargs) if self._foreign() else super().call_module(m, forward, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        return attr_val if self._foreign() else super().getattr(attr, attr_val, parameter_proxy_cache)


class _Scope(fx.proxy.Scope):
    """fx copies the current scope at every module call; copy.copy of a plain object goes through
    __reduce_ex__, several times slower than this (with the module stack's copies, ~9 % of a trace)."""

    def __copy__(self):
        return _Scope(self.module_path, self.module_type)


class _ModuleStack(collections.OrderedDict):
    """fx copies the module stack into every node's metadata: OrderedDict's own copy (one C call)
    rather than copy.copy's __reduce_ex__ path."""

    __copy__ = collections.OrderedDict.copy


def build_on_meta(config: ArchConfig) -> torch.nn.Module:
    if "memory_efficient" in config.field_names() and config.memory_efficient:
        # Checkpointing changes memory, not the graph (and fx cannot trace it): use the plain one.
        config = config.replace(memory_efficient=False)
    with torch.device("meta"):
        return FAMILIES[config.family].builder(**config.to_dict()).eval()


def trace(config: ArchConfig, input_shape: tuple, batch: int = 1) -> Trace:
    check_input(config, input_shape, batch)
    model = build_on_meta(config)
    propagator = ShapePropagator(model, _ThreadSafeTracer().trace(model))
    propagator.run(Shape((batch, *input_shape)))
    params = list(model.parameters())  # one walk of the model for both sums
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return Trace(config, tuple(input_shape), batch, propagator.nodes, total, trainable,
                 propagator.flops)


MAX_SIDE = 4096   # an input's height and width: the largest an analysis accepts
MAX_BATCH = 4096  # examples an analysis or a training run takes at once


def check_input(config: ArchConfig, input_shape, batch) -> None:
    if len(input_shape) != 3 or any(not isinstance(s, int) or s < 1 for s in input_shape):
        default = list(config.default_input())  # the example: this model's own input
        raise ConfigError("input_shape", f"input shape {input_shape} is invalid: give C,H,W as three "
                                         f"positive integers, e.g. {','.join(map(str, default))}",
                          code="input.invalid", suggestion={"input_shape": default})
    if not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise ConfigError("batch", f"batch = {batch}: must be an integer in [1, {MAX_BATCH}]",
                          code="batch.range", args={"value": batch, "low": 1, "high": MAX_BATCH},
                          suggestion={"batch": min(max(batch, 1), MAX_BATCH)
                                      if isinstance(batch, int) else 1})
    c, h, w = input_shape
    if c != config.in_channels:
        raise ConfigError("input_shape", f"input has {c} channels but {config.family}.in_channels = "
                          f"{config.in_channels}; use an input of {config.in_channels},{h},{w} or "
                          f"set in_channels={c}", code="input.channels",
                          args={"channels": c, "in_channels": config.in_channels},
                          suggestion={"input_shape": [config.in_channels, h, w]})
    if max(h, w) > MAX_SIDE:
        raise ConfigError("input_shape", f"input {h}×{w} is too large: use H, W ≤ {MAX_SIDE}",
                          code="input.too_large", args={"height": h, "width": w, "max": MAX_SIDE},
                          suggestion={"input_shape": [c, min(h, MAX_SIDE), min(w, MAX_SIDE)]})
    sized = "input_size" in config.field_names() and getattr(config, "adaptive_pool", 0) == 0
    if sized and (h, w) != (config.input_size, config.input_size):
        _wrong_size_for_classifier(config, c, h, w)


def analysable(config: ArchConfig, **changes) -> bool:
    """Whether `config` with these field changes is a valid config that its default input runs
    through (no collapse)."""
    try:
        changed = type(config).create({**config.to_dict(), **changes})
        trace(changed, changed.default_input())
        return True
    except ConfigError:
        return False


def _collapse_point(config: ArchConfig, input_shape) -> str | None:
    """Where the convolutional part collapses at this input: traced with an adaptive pool in front of
    the classifier, which leaves the layers before it as they are."""
    if "adaptive_pool" not in config.field_names():
        return None
    try:
        trace(config.replace(adaptive_pool=1), input_shape)
    except SpatialCollapse as exc:
        return exc.args_["where"]
    except ConfigError:
        return None
    return None


def _wrong_size_for_classifier(config: ArchConfig, c: int, h: int, w: int):
    """The input differs from the size the flattening classifier is built for. The fix: that size,
    or input_size set to the input's side, where this model runs at that side (else the smallest
    side it runs at)."""
    side = max(h, w)
    field = [s for s in config.fields() if s.name == "input_size"][0]
    fits = h == w and field.low <= side <= field.high and analysable(config, input_size=side)
    if fits:
        fix, suggestion = f"set input_size={side}", {"input_size": side}
    else:
        # searched up to the config's own input_size, which it runs at (a config is checked when made)
        smallest = least(lambda side: analysable(config, input_size=side), int(field.low), config.input_size)
        fix = f"set input_size ≥ {smallest} and use an input of {c}×{smallest}×{smallest}"
        suggestion = {"input_size": smallest, "input_shape": [c, smallest, smallest]}
        where = _collapse_point(config, (c, h, w))
        fix += f" (at {h}×{w} the feature map collapses at {where})" if where else ""
    raise ConfigError("input_shape", f"{config.family} flattens its last feature map into a "
                      f"Linear sized for {config.input_size}×{config.input_size} inputs, but the "
                      f"input is {h}×{w}; use an input of {c}×{config.input_size}×"
                      f"{config.input_size} or {fix} (square inputs only)", code="input.classifier_size",
                      args={"family": config.family, "input_size": config.input_size, "height": h,
                            "width": w, "fits": fits, "min": suggestion.get("input_size")},
                      suggestion=suggestion)


def _to_meta(value):
    """Shapes as meta tensors, inside any args structure. A Shape is a tuple, which fx's map_aggregate
    would take apart into ints: it is converted before any recursion (GELU, LeakyReLU, flatten and
    reshape, which have no shape rule, reach here with a Shape)."""
    if isinstance(value, Shape):
        return torch.empty(value, device="meta")
    if isinstance(value, (tuple, list)):
        return type(value)(_to_meta(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_meta(v) for k, v in value.items()}
    return value


def _to_shape(value):
    return map_aggregate(value, lambda v: Shape(v.shape) if isinstance(v, torch.Tensor) else v)


_SLIDING = (torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.AvgPool2d)
_ADAPTIVE = (torch.nn.AdaptiveAvgPool2d, torch.nn.AdaptiveMaxPool2d)


def _pair(value) -> list[int]:
    return list(value) if isinstance(value, (tuple, list)) else [value, value]


def _window(module, input_shapes, output_shape) -> tuple | None:
    """The sliding window of a layer per axis: its dilated kernel, its stride and its padding (an
    adaptive pool's largest bin, its step, none); None for a layer that keeps each position to itself."""
    if isinstance(module, _SLIDING):
        dilation = _pair(getattr(module, "dilation", 1))
        kernel = [d * (k - 1) + 1 for d, k in zip(dilation, _pair(module.kernel_size))]
        padding = module.padding
        if padding == "same":
            padding = [(k - 1) // 2 for k in kernel]
        elif padding == "valid":
            padding = 0
        return kernel, _pair(module.stride or module.kernel_size), _pair(padding)
    if isinstance(module, _ADAPTIVE) and input_shapes and len(input_shapes[0]) == 4:
        sides, outs = input_shapes[0][2:], output_shape[2:]
        return ([_largest_bin(i, o) for i, o in zip(sides, outs)],
                [max(1, i // o) for i, o in zip(sides, outs)], [0, 0])
    return None


def _largest_bin(size: int, out: int) -> int:
    """The widest of the `out` bins adaptive pooling takes from `size` positions: bin j spans
    floor(j·size/out) to ceil((j+1)·size/out), so bins overlap and differ in width unless out divides
    size (5 → 3: widths 2, 3, 2; ceil(5/3) = 2 would miss the widest)."""
    return max(-(-(j + 1) * size // out) - j * size // out for j in range(out))


def _params_of(layer: torch.nn.Module) -> int:
    """sum(p.numel() for p in layer.parameters()) (a parameter registered twice counts once), without
    the generator walk over sub-layers that parameters() sets up for a layer that has none."""
    if layer._modules:
        return sum(p.numel() for p in layer.parameters())
    unique = {id(p): p for p in layer._parameters.values() if p is not None}
    return sum(p.numel() for p in unique.values())


class ShapePropagator:
    """Runs the traced graph on shapes, recording a TracedNode per op; a collapse is reported.

    A loop of its own over the graph rather than fx.Interpreter, whose per-node bookkeeping (a context
    manager that sets the current node's metadata, a progress bar, last-use tracking to free values)
    was half of propagating densenet121 and is of no use for shapes. Interpreting the traced graph
    also skips GraphModule's code generation (~25 ms for densenet121): we never call its forward.
    """

    def __init__(self, model: torch.nn.Module, graph: fx.Graph):
        self.module = model
        self.graph = graph
        self.env: dict[fx.Node, object] = {}
        self.nodes: list[TracedNode] = []
        self.flops = 0
        self.seen_modules: set[str] = set()
        # Every layer by its path, looked up once: get_submodule walks the path attribute by attribute,
        # twice per layer, which was a third of the propagation.
        self.layers = dict(model.named_modules(remove_duplicate=False))
        self.used_paths: set[str] = set()
        self._macs = 0

    def run(self, *inputs):
        """The output of the graph for these inputs (Shapes), every op recorded on the way."""
        inputs = iter(inputs)
        for node in self.graph.nodes:
            if node.op == "placeholder":
                self.env[node] = shape = next(inputs)
                self.nodes.append(TracedNode(node.name, "input", "input", [], [], tuple(shape)))
            elif node.op == "get_attr":
                self.env[node] = functools.reduce(getattr, node.target.split("."), self.module)
            elif node.op == "output":
                return map_arg(node.args[0], self.env.__getitem__)
            else:
                self.env[node] = self.run_node(node)

    def run_node(self, node: fx.Node):
        self._macs = 0
        args = map_arg(node.args, self.env.__getitem__)
        kwargs = map_arg(node.kwargs, self.env.__getitem__)
        try:
            result = getattr(self, node.op)(node.target, args, kwargs)
        except (Collapse, RuntimeError) as exc:
            raise SpatialCollapse(self._where(node), self._input_shape(node), exc) from None
        if isinstance(result, Shape):
            self._record(node, result)
        return result

    def call_module(self, target, args, kwargs):
        module = self.layers[target]
        rule = MODULE_RULES.get(type(module))
        out = rule(module, *args) if rule and len(args) == 1 and not kwargs \
            and isinstance(args[0], Shape) else None
        if out is not None:
            shape, macs = out
            self._macs = macs
            self.flops += 2 * macs
            return shape
        return self._on_meta(module, args, kwargs)

    def call_function(self, target, args, kwargs):
        rule = FUNCTION_RULES.get(target)
        out = rule(*args, **kwargs) if rule else None
        return out if out is not None else self._on_meta(target, args, kwargs)

    def call_method(self, target, args, kwargs):
        self_obj, *rest = args
        return self._on_meta(getattr(_to_meta(self_obj), target), rest, kwargs)

    def _on_meta(self, fn, args, kwargs):
        with FlopCounterMode(display=False) as counter:
            result = fn(*_to_meta(args), **_to_meta(kwargs))
        flops = counter.get_total_flops()
        self.flops += flops
        self._macs = flops // 2
        return _to_shape(result)

    def _record(self, node: fx.Node, shape: Shape) -> None:
        inputs = [n.name for n in node.all_input_nodes]
        input_shapes = [tuple(self.env[n]) for n in node.all_input_nodes
                        if isinstance(self.env.get(n), Shape)]
        stack = list((node.meta.get("nn_module_stack") or {}).values())
        if node.op == "call_module":
            module = self.layers[node.target]
            params, path = 0, node.target
            if node.target not in self.seen_modules:  # a reused module's weights count once
                self.seen_modules.add(node.target)
                params = _params_of(module)
            else:  # a module called again (ReLU in a residual block) is a new step of the graph
                path = self._unique(node.target)
            traced = TracedNode(node.name, path, type(module).__name__, inputs,
                                input_shapes, tuple(shape), params, self._macs, stack[:-1],
                                _window(module, input_shapes, tuple(shape)))
        else:
            op = getattr(node.target, "__name__", str(node.target))  # operator.add: "add"
            traced = TracedNode(node.name, self._function_path(stack, op), op, inputs,
                                input_shapes, tuple(shape), 0, self._macs, stack)
        self.nodes.append(traced)

    def _function_path(self, stack, op) -> str:
        return self._unique(f"{stack[-1][0]}.{op}" if stack else op)

    def _unique(self, base: str) -> str:
        path, i = base, 1
        while path in self.used_paths or path in self.seen_modules:
            path = f"{base}_{i}"
            i += 1
        self.used_paths.add(path)
        return path

    def _where(self, node: fx.Node) -> str:
        if node.op == "call_module":
            return f"{node.target} ({type(self.layers[node.target]).__name__})"
        return node.name

    def _input_shape(self, node: fx.Node) -> str:
        for n in node.all_input_nodes:
            if isinstance(self.env.get(n), Shape):
                return "×".join(map(str, self.env[n][1:]))
        return "?"


class SpatialCollapse(ConfigError):
    """The feature map became too small for a layer; analyze() adds the smallest valid input."""

    def __init__(self, where: str, shape: str, exc: Exception):
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        super().__init__("input_shape", f"the feature map collapses at {where}, whose input is "
                                        f"{shape} ({detail})", code="input.collapse",
                         args={"where": where, "shape": shape})


def smallest_valid_side(config: ArchConfig, channels: int) -> int | None:
    """Smallest square input side that runs through the model (None if none up to MAX_SIDE)."""
    model = build_on_meta(config)
    graph = _ThreadSafeTracer().trace(model)

    def runs(side):
        try:
            ShapePropagator(model, graph).run(Shape((1, channels, side, side)))
            return True
        except SpatialCollapse:
            return False
    return least(runs, 1, MAX_SIDE)
