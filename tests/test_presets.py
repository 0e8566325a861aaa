"""One generic test over every registered preset (torchvision's test_models.py habit)."""
import math
import re

import pytest
import torch
from conftest import REFERENCES, SHARED_REFERENCE, reference_figures
from seed_code import SEED_MODELS
from torch.utils.flop_counter import FlopCounterMode

import core
from core.analysis import analyze
from core.analysis.graph import block_paths, build_graph
from core.analysis.trace import smallest_valid_side

REF = reference_figures()
# Paper, Table 2 (CIFAR, 10 classes), rounded to 0.1M.
PAPER_TABLE2 = {"densenet40_k12": 1.0, "densenet100_k12": 7.0, "densenet100_k24": 27.2,
                "densenet_bc100_k12": 0.8, "densenet_bc250_k24": 15.3, "densenet_bc190_k40": 25.6}
# He et al. 2016, Table 6 (CIFAR-10, option A shortcuts): 0.27M, 0.46M, 0.85M, 1.7M.
RESNET_CIFAR = {"resnet20_cifar": 0.27, "resnet32_cifar": 0.46, "resnet56_cifar": 0.85,
                "resnet110_cifar": 1.7}


# torchvision's published "GFLOPS" of these models (the `_ops` of their weights' metadata): MACs.
TORCHVISION_GFLOPS = {"resnext50_32x4d": 4.23, "resnext101_32x8d": 16.414, "resnext101_64x4d": 15.46,
                      "wide_resnet50_2": 11.398, "wide_resnet101_2": 22.753, "regnet_x_400mf": 0.414,
                      "regnet_x_800mf": 0.8, "regnet_x_1_6gf": 1.603, "regnet_x_3_2gf": 3.177,
                      "regnet_y_400mf": 0.402, "regnet_y_800mf": 0.834}


def count(model):
    return sum(p.numel() for p in model.parameters())


def small_input(name):
    """The smallest valid square input (≥ 32), or the preset's own size for sized classifiers."""
    config = core.get_config(name)
    c, h, w = core.default_input(name)
    if "input_size" in config.field_names() and getattr(config, "adaptive_pool", 0) == 0:
        return (c, h, w)
    side = max(32, smallest_valid_side(config, c))
    return (c, side, side)


@pytest.mark.parametrize("copy", REFERENCES, ids=lambda path: path.name)
def test_reference_copy_matches_shared(copy):
    shared = SHARED_REFERENCE / copy.name
    if not shared.exists():
        pytest.skip(f"no shared reference beside the repository to compare with ({shared})")
    assert copy.read_text() == shared.read_text()


@pytest.mark.parametrize("name", core.list_presets())
def test_preset_builds_runs_and_trains(name):
    torch.manual_seed(0)
    model = core.build_model(name).train()
    config = core.get_config(name)
    x = torch.randn(2, *small_input(name))
    out = model(x)
    assert out.shape == (2, config.num_classes)
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"no gradient reaches {missing[:5]}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", core.list_presets())
def test_params_equal_reference(name):
    with torch.device("meta"):
        params = count(core.build_model(name))
    if name in REF["torchvision"]:
        assert params == REF["torchvision"][name]["params"]
    elif name in REF["d2l_seed_code"]:
        assert params == REF["d2l_seed_code"][name]["params"]
    elif name in PAPER_TABLE2:
        assert round(params / 1e6, 1) == PAPER_TABLE2[name]
    elif name in RESNET_CIFAR:
        assert math.isclose(params / 1e6, RESNET_CIFAR[name], rel_tol=0.02)
    elif name == "densenet264":
        assert params == 33_337_704  # growth 32, blocks (6, 12, 64, 48), as torchvision builds it
    if name in SEED_MODELS:  # the d2l presets reproduce the seeds' code as written
        seed_builder, _ = SEED_MODELS[name]
        assert params == count(seed_builder())
    assert analyze(name).trace.total_params == params


@pytest.mark.parametrize("name", sorted(n for n, f in REF["torchvision"].items() if "flops_224" in f))
def test_torchvision_flops_equal_reference(name):
    a = analyze(name, (3, 224, 224))
    assert a.trace.flops == REF["torchvision"][name]["flops_224"]
    assert a.macs == REF["torchvision"][name]["macs_224"]


@pytest.mark.parametrize("name", sorted(n for n, f in REF["torchvision"].items() if "flops_224" not in f))
def test_macs_at_224_equal_the_flop_counter_where_the_reference_has_none(name):
    """ResNeXt, Wide ResNet, RegNet: torchvision publishes parameters and these MACs as its GFLOPS."""
    a = analyze(name, (3, 224, 224))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        core.build_model(name).eval()(torch.zeros(1, 3, 224, 224))
    assert 2 * a.macs == a.trace.flops == counter.get_total_flops()
    assert round(a.macs / 1e9, 3) == TORCHVISION_GFLOPS[name]


@pytest.mark.parametrize("name", core.list_presets())
def test_analysis_equals_flop_counter_on_real_module(name):
    """Our shape-rule FLOPs equal torch.utils.flop_counter run on the real module."""
    shape = small_input(name)
    a = analyze(name, shape)
    model = core.build_model(name).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(1, *shape))
    assert a.trace.flops == counter.get_total_flops() == 2 * a.macs
    assert a.output_shape == list(out.shape)
    assert sum(row["params"] for row in a.layers) == a.trace.total_params == count(model)


@pytest.mark.parametrize("name", sorted(SEED_MODELS))
def test_d2l_presets_match_seed_flops(name):
    seed_builder, shape = SEED_MODELS[name]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        seed_builder().eval()(torch.zeros(1, *shape))
    assert core.default_input(name) == shape
    assert analyze(name).trace.flops == counter.get_total_flops()


@pytest.mark.parametrize("name", core.list_presets())
def test_every_module_row_agrees_with_torchinfo(name):
    """An independent counter: torchinfo's leaf rows (a real forward with hooks) against our module
    rows, call by call. A module called twice (ResNet's ReLU) is our `relu_1`; a leaf module made of
    functional ops (the CIFAR ResNets' zero-padding shortcut) is our rows inside it, its output the
    last one's; functional rows elsewhere (add, cat), which torchinfo does not see, are left out."""
    torchinfo = pytest.importorskip("torchinfo")
    shape = small_input(name)
    model = core.build_model(name)
    names = {id(module): path for path, module in model.named_modules()}
    leaves = {path for path, module in model.named_modules() if not list(module.children())}
    summary = torchinfo.summary(model, (1, *shape), verbose=0, mode="eval")
    theirs = [(names[id(row.module)], list(row.output_size), row.num_params)
              for row in summary.summary_list if row.is_leaf_layer]
    ours = []
    for row in analyze(name, shape).layers:
        path = re.sub(r"_\d+$", "", row["name"]) if row["name"] not in leaves else row["name"]
        inside = path.rpartition(".")[0]  # a functional op inside a leaf module
        if path not in leaves and inside in leaves:
            if ours and ours[-1][0] == inside:
                ours[-1] = (inside, row["output_shape"], ours[-1][2] + row["params"])
                continue
            path = inside
        if path in leaves:
            ours.append((path, row["output_shape"], row["params"]))
    assert ours == theirs


@pytest.mark.parametrize("name", core.list_presets())
def test_every_graph_node_is_the_sum_of_its_layers_rows(name):
    """What Explore shows beside the graph for a selected node (app/components/node_card.py): the
    Layers rows it stands for. Their parameters and MACs sum to the node's own counts, for every node
    of the block graph and of each block expanded, so the card and the graph's labels agree."""
    from app.components.node_card import member_rows
    analysis = analyze(name, small_input(name))
    summary = analysis.to_dict()
    covered = set()
    for expand in (None, *block_paths(analysis.trace)):
        for node in build_graph(analysis.trace, "block", expand=expand)["nodes"]:
            rows = member_rows(summary, node)
            assert (sum(r["params"] for r in rows), sum(r["macs"] for r in rows)) == \
                (node["params"], node["macs"]), (expand, node["path"])
            assert bool(rows) == (node["kind"] != "input"), node["path"]
            if expand is None:
                covered.update(r["name"] for r in rows)
    assert covered == {row["name"] for row in summary["layers"]}  # each row under one node
