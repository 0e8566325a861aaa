"""Graph IR, channel growth, schema and registry behaviour on configs we can count by hand."""
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import core
from core.analysis import analyze
from core.analysis.channels import channel_growth
from core.analysis.graph import block_paths, build_graph
from core.analysis.shapes import Shape
from core.analysis.trace import ShapePropagator, _ThreadSafeTracer
from core.architectures.densenet_layout import compressed
from core.registry import register_family, register_preset
from core.render import to_dot


def test_a_one_shot_block_has_the_dense_blocks_output_with_far_fewer_connections_and_weights():
    """VoVNet's OSA beside the dense block of the same width (densenet40_k12: k0 16, k 12, L 12)."""
    dense, osa = (analyze("densenet40_k12", (3, 32, 32), aggregation=a) for a in ("dense", "osa"))
    assert dense.output_shape == osa.output_shape
    grow_d, grow_o = (channel_growth(a.trace)["dense_blocks"][0] for a in (dense, osa))
    assert grow_d["output"] == grow_o["output"] == 16 + 12 * 12
    reads_d, reads_o = [16 + 12 * i for i in range(12)], [16] + [12] * 11
    assert (grow_d["layer_inputs"], grow_d["one_shot"]) == (reads_d, False)
    assert (grow_o["layer_inputs"], grow_o["one_shot"]) == (reads_o, True)
    # a plain layer has 2 BN parameters and 9·k conv weights per input channel
    block = [sum(r["params"] for r in a.layers if r["name"].startswith("features.denseblock1."))
             for a in (dense, osa)]
    assert block[0] - block[1] == (2 + 9 * 12) * (sum(reads_d) - sum(reads_o))
    assert osa.macs < dense.macs


def test_dense_block_shows_all_dense_connections():
    for layers in (4, 6):
        trace = analyze("densenet121", block_config=(layers, 2)).trace
        graph = build_graph(trace, expand="features.denseblock1")
        inside = {n["id"] for n in graph["nodes"] if n["id"].startswith("features.denseblock1.dense")}
        assert len(inside) == layers
        sources = inside | {"features.pool0"}
        dense_edges = [e for e in graph["edges"] if e["source"] in sources and e["target"] in inside]
        assert len(dense_edges) == layers * (layers + 1) // 2  # L(L+1)/2
        assert "features.denseblock1.cat" in {n["id"] for n in graph["nodes"]}
    dot = to_dot(graph)
    assert dot.startswith("digraph") and '"features.pool0" -> "features.denseblock1.denselayer3"' in dot


DENSENET_PRESETS = [n for n in core.list_presets() if core.get_config(n).family == "densenet"]


@pytest.mark.parametrize("name", DENSENET_PRESETS)
def test_every_dense_layer_label_shows_its_real_input_channels(name):
    """Layer l of a block reads k0 + k·(l−1) channels; its node (and label) must say so."""
    config = core.get_config(name)
    trace = analyze(name).trace
    k = config.growth_rate
    k0 = config.num_init_features
    for b, layers in enumerate(config.block_config, start=1):
        block = f"features.denseblock{b}"
        graph = build_graph(trace, expand=block)
        nodes = {n["id"]: n for n in graph["nodes"]}
        for layer in range(1, layers + 1):
            node = nodes[f"{block}.denselayer{layer}"]
            assert node["in_channels"] == k0 + k * (layer - 1)
            assert f"· {k0 + k * (layer - 1)}→{k} ch" in to_dot(graph)
        k0 = compressed(k0 + k * layers, config.compression)


def test_densenet121_block3_layer21_reads_896_channels():
    graph = build_graph(analyze("densenet121").trace, expand="features.denseblock3")
    node = next(n for n in graph["nodes"] if n["id"] == "features.denseblock3.denselayer21")
    assert node["in_channels"] == 896
    assert "DenseLayer · 896→32 ch" in to_dot(graph)
    collapsed = {n["id"]: n for n in build_graph(analyze("densenet121").trace)["nodes"]}
    assert collapsed["features.denseblock3"]["in_channels"] == 256  # block nodes too
    assert collapsed["features.transition3"]["in_channels"] == 1024


def test_block_view_folds_identical_residual_blocks():
    graph = build_graph(analyze("resnet50").trace)
    counts = {n["id"]: n["count"] for n in graph["nodes"] if n["kind"] == "block"}
    assert counts == {"layer1.0": 1, "layer1.1": 2, "layer2.0": 1, "layer2.1": 3, "layer3.0": 1,
                      "layer3.1": 5, "layer4.0": 1, "layer4.1": 2}
    assert sum(n["params"] for n in graph["nodes"]) == 25_557_032


def test_residual_block_expanded_shows_the_shortcut():
    graph = build_graph(analyze("resnet18").trace, expand="layer2.0")
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert ("layer2.0.downsample", "layer2.0.add") in edges
    assert ("layer2.0.bn2", "layer2.0.add") in edges


def test_layer_level_is_acyclic_even_with_reused_modules():
    graph = build_graph(analyze("resnet18").trace, level="layer")
    order = {n["id"]: i for i, n in enumerate(graph["nodes"])}
    assert all(order[e["source"]] < order[e["target"]] for e in graph["edges"])


@pytest.mark.parametrize("name, k0, k, blocks", [
    ("densenet121", 64, 32, (6, 12, 24, 16)), ("d2l_densenet", 64, 32, (4, 4, 4, 4)),
    ("densenet_bc100_k12", 24, 12, (16, 16, 16)), ("densenet40_k12", 16, 12, (12, 12, 12)),
])
def test_dense_staircase_is_k0_plus_k_times_l_minus_1(name, k0, k, blocks):
    config = core.get_config(name)
    dense = channel_growth(analyze(name).trace)["dense_blocks"]
    assert len(dense) == len(blocks)
    channels = k0
    for block, layers in zip(dense, blocks):
        assert block["k0"] == channels and block["growth"] == k
        assert block["layer_inputs"] == [channels + k * (i - 1) for i in range(1, layers + 1)]
        assert block["output"] == channels + k * layers
        channels = block["output"]
        if "transition" in block:
            assert block["transition"]["output"] == int(channels * config.compression)
            channels = block["transition"]["output"]


def test_main_path_follows_blocks_in_order():
    rows = channel_growth(analyze("densenet121").trace)["main_path"]
    names = [r["name"] for r in rows]
    assert names.index("features.denseblock1") < names.index("features.transition1")
    assert rows[-1]["channels"] == 1000 and rows[-1]["name"] == "classifier"
    assert (rows[0]["channels"], rows[0]["height"]) == (64, 112)
    assert block_paths(analyze("densenet121").trace)[0] == "features.denseblock1"


HUGE = """
import resource
from core.analysis import analyze
analyze("lenet")  # everything imported and warmed: the peak so far is what the process holds
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
a = analyze("densenet", growth_rate=256, block_config=(64, 64, 64, 64), num_init_features=1024)
print(a.trace.total_params, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def test_huge_config_is_analysed_without_allocating():
    """In a fresh process: ru_maxrss is the all-time peak, so in this one (which ran other tests) a
    growth below an earlier peak would read 0."""
    done = subprocess.run([sys.executable, "-c", HUGE], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1], check=True)
    params, grown = map(int, done.stdout.split())
    assert params * 4 > 20 * 2**30  # more than 20 GiB of fp32 weights ...
    assert grown < 2**30  # ... analysed in well under 1 GiB


@pytest.mark.parametrize("bn_size", [4, 0])
def test_memory_efficient_densenet_matches_plain(bn_size):
    torch.manual_seed(0)
    plain = core.build_model("densenet121", block_config=(2, 3), growth_rate=8, num_classes=5,
                             bn_size=bn_size, conv_bias=bn_size == 0)
    efficient = core.build_model("densenet121", block_config=(2, 3), growth_rate=8, num_classes=5,
                                 bn_size=bn_size, conv_bias=bn_size == 0, memory_efficient=True)
    efficient.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32)
    out_p, out_e = plain(x), efficient(x)
    torch.testing.assert_close(out_p, out_e)
    out_p.sum().backward()
    out_e.sum().backward()
    for (name, p), q in zip(plain.named_parameters(), efficient.parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)
    for (name, a), b in zip(plain.state_dict().items(), efficient.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)  # BN running statistics and batch counts too
    plain.eval(), efficient.eval()
    x.requires_grad_(True)
    grad_p, = torch.autograd.grad(plain(x).sum(), x)
    grad_e, = torch.autograd.grad(efficient(x).sum(), x)
    torch.testing.assert_close(grad_p, grad_e)  # gradients in eval mode (attributions)


def test_every_field_is_typed_bounded_and_described():
    for family in core.FAMILIES.values():
        for spec in family.config_cls.fields():
            assert spec.description, (family.name, spec.name)
            if spec.kind in ("int", "float", "int_list") and spec.choices is None:
                assert spec.low is not None and spec.high is not None, (family.name, spec.name)


def test_registry_is_strict():
    with pytest.raises(ValueError, match="already registered"):
        register_preset("densenet121", "densenet", "torchvision", "again")
    with pytest.raises(ValueError, match="already registered"):
        register_family("densenet", "DenseNet", None, None, None)
    with pytest.raises(core.ConfigError, match="Did you mean 'resnet50'") as unknown:
        core.get_config("resnet05")
    names = unknown.value.message.split("Valid names: ")[1].split(", ")
    assert len(names) == len(set(names)) and {"alexnet", "vgg16", "densenet"} <= set(names)  # each once


def test_a_parameter_read_in_forward_is_traced_with_its_own_shape():
    """A layer that reads a parameter of a submodule in its forward (a learned per-channel scale, as in
    LayerScale): fx records a get_attr node, which the propagation must resolve along the dotted path
    to the meta tensor, and the product then broadcasts (1, C, 1, 1) over the map."""
    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.gate = torch.nn.Module()
            self.gate.scale = torch.nn.Parameter(torch.ones(1, 8, 1, 1))

        def forward(self, x):
            return self.conv(x) * self.gate.scale

    with torch.device("meta"):
        model = Scaled()
    graph = _ThreadSafeTracer().trace(model)
    assert [n.target for n in graph.nodes if n.op == "get_attr"] == ["gate.scale"]
    propagator = ShapePropagator(model, graph)
    assert tuple(propagator.run(Shape((2, 3, 5, 7)))) == (2, 8, 5, 7)
    product = propagator.nodes[-1]
    assert (product.op, product.output_shape) == ("mul", (2, 8, 5, 7))
    assert propagator.nodes[-1].input_shapes == [(2, 8, 5, 7)]  # the parameter is no feature map


def test_config_round_trips_through_json_dict():
    config = core.get_config("densenet_bc100_k12", growth_rate="16", memory_efficient="true")
    assert config.growth_rate == 16 and config.memory_efficient is True
    again = core.registry.config_from_dict("densenet", config.to_dict())
    assert again == config and hash(again) == hash(config)


def test_init_is_skipped_on_meta_tensors_only():
    """The analysis skips weight init on meta tensors; a real tensor still gets torch's own init."""
    torch.manual_seed(0)
    layer = torch.nn.Conv2d(3, 8, 3)
    expected = torch.empty(8, 3, 3, 3)
    torch.manual_seed(0)
    torch.nn.init.kaiming_uniform_.__wrapped__(expected, a=math.sqrt(5))  # torch's own function
    assert torch.equal(layer.weight, expected)
    meta = torch.empty(8, 3, 3, 3, device="meta")
    assert torch.nn.init.kaiming_uniform_(meta) is meta


@pytest.mark.parametrize("name", core.list_presets())
def test_our_tracer_records_the_graph_fx_records(name):
    """The tracer's shortcut for plain arguments changes nothing in the graph."""
    import torch.fx as fx

    from core.analysis.trace import _ThreadSafeTracer, build_on_meta
    model = build_on_meta(core.get_config(name))
    assert str(_ThreadSafeTracer().trace(model)) == str(fx.Tracer().trace(model))


def test_an_analysed_model_is_freed_without_the_garbage_collector(monkeypatch):
    """A model left to the collector waits for a full collection (60–100 ms in a busy server)."""
    import gc
    import weakref

    from core.analysis import trace as tracing
    built, build = [], tracing.build_on_meta
    monkeypatch.setattr(tracing, "build_on_meta",
                        lambda config: built.append(weakref.ref(model := build(config))) or model)
    gc.disable()
    try:
        analyze("densenet121", growth_rate=20)
    finally:
        gc.enable()
    assert built and built[0]() is None


class _NoRuleLayers(torch.nn.Module):
    """Layers and functions with no shape rule (GELU, LeakyReLU, flatten, reshape, a method call):
    the propagator runs them on meta tensors, which it must make from its Shapes."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.gelu, self.leaky = torch.nn.GELU(), torch.nn.LeakyReLU(0.1)
        self.fc = torch.nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        x = self.leaky(self.gelu(self.conv(x)))
        x = torch.flatten(x, 1).reshape(x.shape[0], -1)
        return self.fc(x.view(x.shape[0], -1))


def test_layers_without_a_shape_rule_fall_back_to_meta_tensors_and_count_like_flopcountermode():
    from torch.utils.flop_counter import FlopCounterMode

    from core.analysis.shapes import Shape
    from core.analysis.trace import ShapePropagator, _ThreadSafeTracer
    model = _NoRuleLayers()
    x = torch.zeros(2, 3, 8, 8)
    with FlopCounterMode(display=False) as counter:
        expected = model(x)
    meta = _NoRuleLayers().to("meta")
    propagator = ShapePropagator(meta, _ThreadSafeTracer().trace(meta))
    assert propagator.run(Shape(x.shape)) == tuple(expected.shape) == (2, 10)
    assert propagator.flops == counter.get_total_flops() == 2 * (2 * 8 * 6 * 6 * 27 + 2 * 288 * 10)
    assert {"GELU", "LeakyReLU", "flatten", "reshape", "view"} <= {n.op for n in propagator.nodes}


@pytest.mark.parametrize("a, b", [((2, 8, 5, 5), (2, 8, 1, 1)), ((2, 8, 1, 1), (2, 8, 5, 5)),
                                  ((8, 5, 5), (5,)), ((2, 8, 5, 5), (2, 3, 1, 1)), ((0, 1), (3, 1))])
def test_a_product_broadcasts_as_on_tensors_and_an_impossible_one_is_left_to_them(a, b):
    """operator.mul's shape rule (a squeeze-and-excitation gate scaling its map): torch's shape, or
    None where the shapes don't broadcast, so the meta tensors raise torch's own error."""
    import operator

    from core.analysis.shapes import FUNCTION_RULES, Shape
    try:
        expected = tuple((torch.empty(a, device="meta") * torch.empty(b, device="meta")).shape)
    except RuntimeError:
        expected = None
    assert FUNCTION_RULES[operator.mul](Shape(a), Shape(b)) == expected


def test_a_chain_folds_into_columns_and_a_branching_graph_does_not():
    """densenet121's block graph is a chain of 17 nodes: in 3 columns of 6, 6 and 5, read in order,
    the two edges that turn to the next column's top not ranking it; an expanded block branches, so
    it stays in one column whatever is asked."""
    from core.render import fold
    chain = build_graph(analyze("densenet121").trace, "block")
    order = [n["id"] for n in chain["nodes"]]
    column = fold(chain, 3)
    assert [column[n] for n in order] == [0] * 6 + [1] * 6 + [2] * 5 and fold(chain, 1) == {}
    dot = to_dot(chain, columns=3)
    assert dot.count("[constraint=false]") == 2 and dot.count("subgraph cluster_column") == 3
    assert f'"{order[5]}" -> "{order[6]}" [constraint=false];' in dot
    branching = build_graph(analyze("densenet121").trace, "block", expand="features.denseblock1")
    assert fold(branching, 3) == {} and "cluster_column" not in to_dot(branching, columns=3)


def test_the_summary_json_is_the_contract_and_each_figure_is_counted_independently():
    """`summary --json` of d2l's LeNet with BN at batch 3: every key of the contract, each value from
    an independent count on the real module (parameters, FLOPs by torch's counter, each layer's output
    through forward hooks; depth: 2 convolutions and 3 linear layers on the one path)."""
    batch, shape = 3, (1, 28, 28)
    summary = analyze("d2l_lenet_bn", shape, batch=batch).to_dict()
    model = core.build_model("d2l_lenet_bn").eval()
    outputs = {}
    for name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(lambda m, i, o, name=name: outputs.__setitem__(name, o))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(batch, *shape))
    assert set(summary) == {"name", "family", "config", "input_shape", "batch", "output_shape",
                            "total_params", "trainable_params", "macs", "flops", "elementwise_ops", "depth",
                            "layers"}
    params = sum(p.numel() for p in model.parameters())
    assert (summary["name"], summary["family"], summary["config"]) == \
        ("d2l_lenet_bn", "lenet", core.get_config("d2l_lenet_bn").to_dict())
    assert (summary["input_shape"], summary["batch"], summary["output_shape"]) == \
        (list(shape), batch, list(out.shape))
    assert summary["total_params"] == summary["trainable_params"] == params
    assert summary["flops"] == counter.get_total_flops() == 2 * summary["macs"]
    modules = dict(model.named_modules())
    # the outputs of BN, activations, pooling and flatten; not the input (it counted its 2,352 elements)
    elementwise = sum(o.numel() for name, o in outputs.items()
                      if not isinstance(modules[name], (torch.nn.Conv2d, torch.nn.Linear)))
    assert summary["elementwise_ops"] == elementwise and summary["depth"] == 5
    rows = {row["name"]: row for row in summary["layers"]}
    assert list(rows) == list(outputs)
    for name, row in rows.items():
        module = modules[name]
        assert row["output_shape"] == list(outputs[name].shape)
        assert row["params"] == sum(p.numel() for p in module.parameters())
        assert row["type"] == type(module).__name__
    assert sum(row["macs"] for row in summary["layers"]) == summary["macs"]


def test_an_input_too_small_is_refused_with_where_it_collapses_and_the_smallest_that_fits():
    with pytest.raises(core.ConfigError) as refused:
        analyze("densenet121", (3, 8, 9))
    error = refused.value
    assert error.message == (
        "input 3×8×9 is too small for densenet121: the feature map collapses at features.transition2.pool "
        "(AvgPool2d), whose input is 256×1×1 (Given input size 1, kernel 2, stride 2, padding 0: output "
        "size 0 is too small); use ≥ 29×29")
    assert (error.field, error.code, error.suggestion) == ("input_shape", "input.too_small",
                                                          {"input_shape": [3, 29, 29]})
    assert error.args_ == {"channels": 3, "height": 8, "width": 9, "name": "densenet121",
                           "where": "features.transition2.pool (AvgPool2d)", "min": 29}
    analyze("densenet121", (3, 29, 29))  # the size it names fits
    with pytest.raises(core.ConfigError, match=r"^input 1×8×8 is too small for densenet: .*use ≥ 29×29$"):
        analyze("densenet121", (1, 8, 8), growth_rate=12, in_channels=1)


def test_a_model_is_named_after_its_preset_while_it_is_one():
    assert analyze("densenet121", (3, 64, 64)).name == "densenet121"
    assert analyze("densenet121", (3, 64, 64), growth_rate=32).name == "densenet121"  # the preset's value
    assert analyze("densenet121", (3, 64, 64), growth_rate=12).name == "densenet"
    assert analyze(core.get_config("resnet18"), (3, 64, 64)).name == "resnet18"
    assert analyze(core.get_config("resnet18", num_classes=3), (3, 64, 64)).name == "resnet"
    assert analyze("densenet", (3, 64, 64)).name == "densenet"
    lenet = analyze("d2l_lenet_bn").to_dict()
    assert (lenet["input_shape"], lenet["batch"]) == ([1, 28, 28], 1)  # its preset's input, one example
    assert analyze("d2l_alexnet", input_size=65).to_dict()["input_shape"] == [1, 65, 65]  # the changed size


def test_every_presets_op_has_a_shape_rule(monkeypatch):
    """Running an op on meta tensors costs ~0.2 ms (a rule: microseconds): no preset falls back."""
    from core.analysis.trace import ShapePropagator
    fallbacks = []
    monkeypatch.setattr(ShapePropagator, "_on_meta", lambda self, fn, args, kwargs: fallbacks.append(fn))
    for name in core.list_presets():
        analyze(name)
    assert fallbacks == []


def test_a_fallback_ops_macs_are_half_its_flops():
    from core.analysis.shapes import Shape
    from core.analysis.trace import ShapePropagator, _ThreadSafeTracer
    meta = _NoRuleLayers().to("meta")
    propagator = ShapePropagator(meta, _ThreadSafeTracer().trace(meta))
    propagator.run(Shape((2, 3, 8, 8)))
    assert 2 * sum(n.macs for n in propagator.nodes) == propagator.flops > 0
    assert all(isinstance(n.macs, int) for n in propagator.nodes)


class _Reused(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        return self.relu(self.relu(x) + self.relu(x) + x)


def test_each_call_of_a_reused_layer_or_op_is_a_row_of_its_own():
    from core.analysis.shapes import Shape
    from core.analysis.trace import ShapePropagator, _ThreadSafeTracer
    meta = _Reused().to("meta")
    propagator = ShapePropagator(meta, _ThreadSafeTracer().trace(meta))
    propagator.run(Shape((1, 2, 3, 3)))
    assert [n.path for n in propagator.nodes] == ["input", "relu", "relu_1", "add", "add_1", "relu_2"]


def test_init_functions_skip_meta_tensors_and_wrap_once():
    from core.analysis.trace import _unless_meta
    calls = []

    def fill(tensor, value):
        calls.append(value)
        return tensor.fill_(value)
    wrapped = _unless_meta(fill)
    assert _unless_meta(wrapped) is wrapped and wrapped._skips_meta is True
    meta = torch.empty(2, device="meta")
    assert wrapped(meta, 3) is meta and calls == []
    real = wrapped(torch.zeros(2), 3)
    assert calls == [3] and real.tolist() == [3.0, 3.0]
    assert torch.nn.init.kaiming_uniform_._skips_meta is True  # installed on torch.nn.init


def test_a_collapse_says_where_on_what_input_and_torchs_first_line():
    from core.analysis.trace import SpatialCollapse
    first = SpatialCollapse("pool (MaxPool2d)", "8×1×1", RuntimeError("  too small\nsecond line  "))
    assert first.message == "the feature map collapses at pool (MaxPool2d), whose input is 8×1×1 (too small)"
    assert (first.field, first.code, first.args_) == ("input_shape", "input.collapse",
                                                       {"where": "pool (MaxPool2d)", "shape": "8×1×1"})
    assert SpatialCollapse("c", "s", ValueError("")).message.endswith("whose input is s (ValueError)")
    long = SpatialCollapse("c", "s", RuntimeError("x" * 200)).message
    assert long.endswith("(" + "x" * 160 + ")")


class _CountedFallbacks(torch.nn.Module):
    """Functions without a shape rule that do arithmetic or take keyword arguments: run on meta tensors,
    their FLOPs counted as FlopCounterMode counts them."""

    def forward(self, x):  # (2, 3, 4, 5)
        a = torch.flatten(x, start_dim=2)  # (2, 3, 20): a keyword argument
        b = torch.matmul(a, a.transpose(1, 2))  # (2, 3, 3): 2·3·3·20 = 360 multiply-adds
        return torch.add(b, other=b)  # a feature map given by keyword


def test_a_fallback_op_with_arithmetic_adds_its_flops_and_keeps_its_keyword_arguments():
    from core.analysis.shapes import Shape
    from core.analysis.trace import ShapePropagator, _ThreadSafeTracer, trace
    x = torch.zeros(2, 3, 4, 5)
    with FlopCounterMode(display=False) as counter:
        expected = _CountedFallbacks()(x)
    model = _CountedFallbacks().to("meta")
    propagator = ShapePropagator(model, _ThreadSafeTracer().trace(model))
    assert propagator.run(Shape(x.shape)) == tuple(expected.shape) == (2, 3, 3)
    assert propagator.flops == counter.get_total_flops() == 2 * 360  # FlopCounterMode counts no add
    matmul = next(n for n in propagator.nodes if n.op == "matmul")
    assert (matmul.macs, matmul.output_shape) == (360, (2, 3, 3))
    assert trace(core.get_config("resnet18"), (3, 32, 32)).batch == 1  # one example unless told


@pytest.mark.parametrize("name, side", [("resnet18", 1), ("densenet121", 29), ("d2l_nin", 67)])
def test_the_smallest_side_is_the_smallest_the_module_itself_runs_at(name, side):
    """The traced search against torch: the model on meta tensors runs at that side and not one less."""
    from core.analysis.trace import build_on_meta, smallest_valid_side
    config = core.get_config(name)
    assert smallest_valid_side(config, config.in_channels) == side
    model = build_on_meta(config)
    model(torch.empty(1, config.in_channels, side, side, device="meta"))
    if side > 1:
        with pytest.raises(RuntimeError):
            model(torch.empty(1, config.in_channels, side - 1, side - 1, device="meta"))


class _KeywordCatInPlaceAdd(torch.nn.Module):
    def forward(self, x):
        y = torch.cat([x, x], dim=1)  # a shape rule's keyword argument
        y += torch.relu(y)  # fx records a proxy's += as operator.add
        return y


def test_a_shape_rule_gets_its_keyword_arguments_and_an_in_place_add_is_named_add():
    from core.analysis.shapes import Shape
    from core.analysis.trace import ShapePropagator, _ThreadSafeTracer
    model = _KeywordCatInPlaceAdd()
    propagator = ShapePropagator(model, _ThreadSafeTracer().trace(model))
    assert tuple(propagator.run(Shape((2, 3, 4, 4)))) == (2, 6, 4, 4)
    assert [n.op for n in propagator.nodes] == ["input", "cat", "relu", "add"]  # a residual's add, as +


def test_a_memory_efficient_densenet_is_analysed_as_the_plain_one_it_computes():
    """Its recomputing first convolution (an autograd Function, which fx cannot trace) changes memory,
    not the graph: the analysis traces the plain model, with the same rows, parameters and MACs."""
    efficient = analyze("densenet121", (3, 64, 64), block_config=(2, 3), memory_efficient=True)
    plain = analyze("densenet121", (3, 64, 64), block_config=(2, 3))
    assert efficient.trace.config.memory_efficient  # the config asked for stays as it was
    assert [(r["name"], r["params"], r["macs"]) for r in efficient.layers] == \
        [(r["name"], r["params"], r["macs"]) for r in plain.layers]
