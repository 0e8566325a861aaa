"""Theoretical receptive fields and jumps (core/analysis/receptive.py) against values derived by hand:
a window of k at stride s after field r and jump j gives r + (k − 1)·j and j·s; joins take the largest
over their paths; global pooling and a dense layer over a flattened map see the whole input."""
import json

import pytest
import torch
from torch import nn

import core
from core.analysis import analyze
from core.analysis.receptive import WHOLE, receptive_fields
from core.analysis.trace import _window
from core.cli import main


def rows(name, **overrides):
    return {r["name"]: (r["receptive_field"], r["jump"]) for r in analyze(name, **overrides).layers}


def test_lenet_single_path_by_hand():
    # conv 5 -> 5, 1; avg pool 2/2 -> 5 + 1·1 = 6, 2; conv 5 -> 6 + 4·2 = 14, 2; pool 2/2 -> 14 + 1·2 = 16, 4
    got = rows("d2l_lenet_bn")
    assert [got[f"net.{i}"] for i in (0, 2, 3, 4, 7)] == [(5, 1), (5, 1), (6, 2), (14, 2), (16, 4)]
    assert got["net.9"] == ("whole input", None)  # the first dense layer over the 4×4 map
    assert got["net.15"] == ("whole input", None)


def test_a_residual_block_takes_the_larger_path():
    """resnet18: stem conv 7/2 -> 7, 2; max pool 3/2 -> 11, 4; layer1.0: two 3×3 convs -> 19, 27 and
    the add joins 27 (main path) with the identity's 11 -> 27. layer2.0: conv 3/2 -> 27 + 2·4 = 35, 8,
    conv 3 -> 67; the 1×1/2 shortcut from 43 gives 43, 8; the add: 67, 8."""
    got = rows("resnet18")
    assert got["stem.conv"] == (7, 2) and got["stem.pool"] == (11, 4)
    assert got["layer1.0.conv1"] == (19, 4) and got["layer1.0.conv2"] == (27, 4)
    assert got["layer1.0.add"] == (27, 4)
    assert got["layer1.1.add"] == (43, 4)
    assert got["layer2.0.conv1"] == (51, 8) and got["layer2.0.downsample.0"] == (43, 8)
    assert got["layer2.0.conv2"] == (67, 8) and got["layer2.0.add"] == (67, 8)
    assert got["layer4.1.relu_1"] == (435, 32)  # the published ResNet-18 figure
    assert got["pool"] == ("whole input", None) and got["fc"] == ("whole input", None)


def test_an_inception_block_takes_its_widest_branch():
    """d2l GoogLeNet, first Inception block, input field 27 at jump 8: 1×1 -> 27; 1×1 then 3×3 ->
    27 + 2·8 = 43; 1×1 then 5×5 -> 27 + 4·8 = 59; 3×3 pool then 1×1 -> 43; the concatenation: 59."""
    got = rows("d2l_googlenet")
    assert got["stem.4"] == (27, 8)
    branches = [got[p] for p in ("stages.0.0.branch1.0", "stages.0.0.branch2.1.0", "stages.0.0.branch3.1.0",
                                 "stages.0.0.branch4.1.0")]
    assert branches == [(27, 8), (43, 8), (59, 8), (43, 8)]
    assert got["stages.0.0.cat"] == (59, 8)


def test_a_dense_layer_sees_every_earlier_layers_field():
    """densenet121: the first dense layer's concatenation carries the stem's 11 at jump 4; its 3×3
    conv grows it by 2·4; the next layer's concatenation joins 11 and 19 -> 19."""
    got = rows("densenet121")
    assert got["features.pool0"] == (11, 4)
    assert got["features.denseblock1.denselayer1.conv2"] == (19, 4)
    assert got["features.denseblock1.denselayer2.cat"] == (19, 4)
    assert got["features.denseblock1.denselayer2.conv2"] == (27, 4)


def test_padding_does_not_shrink_and_dilation_widens():
    conv = nn.Conv2d(1, 1, 3, padding=1)
    assert _window(conv, [(1, 1, 8, 8)], (1, 1, 8, 8)) == ([3, 3], [1, 1], [1, 1])
    dilated = nn.Conv2d(1, 1, 3, padding=2, dilation=2)
    assert _window(dilated, [(1, 1, 8, 8)], (1, 1, 8, 8)) == ([5, 5], [1, 1], [2, 2])
    pool = nn.MaxPool2d(3, 2)
    assert _window(pool, [(1, 1, 9, 9)], (1, 1, 4, 4)) == ([3, 3], [2, 2], [0, 0])
    # "same" with an even kernel pads 1 before and 2 after (torch): the window starts one pixel early
    even = _window(nn.Conv2d(1, 1, 4, padding="same"), [(1, 1, 8, 8)], (1, 1, 8, 8))
    assert even == ([4, 4], [1, 1], [1, 1]) and all(isinstance(p, int) for p in even[2])
    assert _window(nn.ReLU(), [(1, 1, 8, 8)], (1, 1, 8, 8)) is None


def test_an_adaptive_pool_to_several_positions_is_a_window_and_to_one_is_the_whole_input():
    """torchvision's AlexNet: the last max pool leaves 6×6 (at 224) or 4×4 (at 160); its adaptive pool to
    6×6 then uses bins of one position (at 224: the field stays) or bins of one and two positions (at
    160, 4 → 6: bins [0,1) [0,2) [1,2) [2,3) [2,4) [3,4), so the field grows by one jump); the dense layer
    after the flattened map sees the whole input."""
    for side, wider in ((224, 0), (160, 1)):
        layers = analyze("alexnet", input_shape=(3, side, side)).layers
        last_pool = [r for r in layers if r["type"] == "MaxPool2d"][-1]
        adaptive = next(r for r in layers if r["type"] == "AdaptiveAvgPool2d")
        assert adaptive["output_shape"][2:] == [6, 6]
        assert (adaptive["receptive_field"], adaptive["jump"]) == (
            last_pool["receptive_field"] + wider * last_pool["jump"], last_pool["jump"])
        first_dense = next(r for r in layers if r["type"] == "Linear")
        assert (first_dense["receptive_field"], first_dense["jump"]) == ("whole input", None)


def _bins_torch_uses(size: int, out: int) -> list[int]:
    """The width of each bin of adaptive average pooling, read from torch itself: input position i is in
    bin j when a one-hot input at i gives output j a non-zero value."""
    pool = nn.AdaptiveAvgPool1d(out)
    member = torch.stack([pool(torch.eye(size)[i].view(1, 1, size))[0, 0] > 0 for i in range(size)])
    return member.sum(dim=0).tolist()


@pytest.mark.parametrize("pool", [nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d])
def test_an_adaptive_pools_window_is_its_widest_bin(pool):
    """Over every input side up to 12 and output side up to 8, each axis apart: the window is the widest
    bin torch pools over (5 → 3 pools bins of 2, 3, 2), its step floor(size/out), at least 1."""
    for h in range(1, 13):
        for out_h in range(1, 9):
            w, out_w = 13 - h, 9 - out_h
            kernel, stride, padding = _window(pool((out_h, out_w)), [(1, 1, h, w)], (1, 1, out_h, out_w))
            assert kernel == [max(_bins_torch_uses(h, out_h)), max(_bins_torch_uses(w, out_w))], (h, out_h)
            assert stride == [max(1, h // out_h), max(1, w // out_w)] and padding == [0, 0]


def test_a_map_already_one_position_is_not_called_the_whole_input():
    """resnet18 at 32×32 ends layer4 at 1×1: its pool and dense layer see that one position's field
    (435 pixels, which covers the 32×32 image), not "the whole input" by pooling."""
    got = {r["name"]: (r["receptive_field"], r["jump"]) for r in analyze("resnet18", (3, 32, 32)).layers}
    assert got["layer4.1.relu_1"] == (435, 32)
    assert got["pool"] == (435, 32) and got["fc"] == (435, 32)
    nodes = analyze("resnet18").trace.nodes
    assert receptive_fields(nodes)[nodes[0].id] == (1, 1)  # the input itself
    assert receptive_fields(nodes)[nodes[-1].id] == (WHOLE, None)


@pytest.mark.parametrize("name", ["resnet50", "densenet121", "d2l_nin", "regnet_x_400mf", "vgg11"])
def test_fields_grow_monotonically_along_the_network(name):
    """Along execution order a layer's field is never smaller than that of any layer feeding it."""
    analysis = analyze(name)
    fields = receptive_fields(analysis.trace.nodes)
    for node in analysis.trace.nodes:
        for source in node.inputs:
            if source in fields:
                assert fields[node.id][0] >= fields[source][0], (node.path, source)


def test_summary_json_rows_carry_the_field_and_jump(capsys):
    assert main(["summary", "d2l_lenet_bn", "--json"]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    assert (layers[0]["receptive_field"], layers[0]["jump"]) == (5, 1)
    assert (layers[-1]["receptive_field"], layers[-1]["jump"]) == ("whole input", None)


def test_a_real_gradient_reaches_no_further_than_the_theoretical_field():
    """The field is an upper bound on what one output can depend on: the input gradient of one output
    position of resnet18's layer1 is zero outside the square of its theoretical field."""
    model = core.build_model("resnet18").eval()
    side, field = 64, rows("resnet18")["layer1.1.add"][0]
    x = torch.randn(1, 3, side, side, requires_grad=True)
    features = model.layer1(model.stem(x))
    centre = features.shape[-1] // 2
    features[0, :, centre, centre].sum().backward()
    rows_hit = x.grad[0].abs().sum(dim=(0, 2)).nonzero().flatten()
    extent = int(rows_hit.max() - rows_hit.min() + 1)
    assert 0 < extent <= field


def test_the_centre_of_an_output_window_is_where_its_gradient_is_centred():
    """A chain of windows whose padding shifts the centre ((k − 1)/2 − p ≠ 0: kernels of 2, 4 and 5
    with paddings 0 and 1, strides 1 and 2, an average pool), against the real gradient: output
    position n's window, inside the image, spans the input pixels whose gradient is non-zero, centred
    at centre(0) + n · jump, and as wide as the field."""
    from torch import nn

    from core.analysis.receptive import centre_of_first_output, receptive_fields
    from core.analysis.shapes import Shape
    from core.analysis.trace import ShapePropagator, _ThreadSafeTracer
    layers = nn.Sequential(nn.Conv2d(1, 1, 4, stride=2, padding=1, bias=False),
                           nn.AvgPool2d(3, stride=2, padding=1),
                           nn.Conv2d(1, 1, 5, bias=False), nn.Conv2d(1, 1, 2, stride=2, bias=False))
    for conv in layers[0], layers[2], layers[3]:
        nn.init.ones_(conv.weight)
    propagator = ShapePropagator(layers, _ThreadSafeTracer().trace(layers))  # shapes only: no computing
    propagator.run(Shape((1, 1, 96, 96)))
    last = propagator.nodes[-1].id
    centre = centre_of_first_output(propagator.nodes, last)
    field, jump = receptive_fields(propagator.nodes)[last]
    image = torch.zeros(1, 1, 96, 96, requires_grad=True)
    out = layers(image)
    n = out.shape[-1] // 2
    out[0, 0, n, n].backward()
    rows = image.grad[0, 0].abs().sum(1).nonzero().flatten()
    assert (rows[0] + rows[-1]).item() / 2 == centre[0] + n * jump == centre[1] + n * jump
    assert (rows[-1] - rows[0] + 1).item() == field and jump == 8
    assert centre == [10.5, 10.5]  # (4−1)/2−1 = 0.5 at jump 1, (3−1)/2−1 = 0 at 2, (5−1)/2 = 2 at 4, 0.5 at 4


class _Join(torch.nn.Module):
    """The input added to a (3×1) convolution of itself padded back to its size: two paths whose
    fields (3×1 and 1×1) and centres (row 1 and row 0) differ."""

    def __init__(self, pool: torch.nn.Module | None = None):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 1, (3, 1))
        self.pool = pool or torch.nn.Identity()

    def forward(self, x):
        return self.pool(x + torch.nn.functional.pad(self.conv(x), (0, 0, 0, 2)))


def _propagated(model, shape):
    from core.analysis.shapes import Shape
    from core.analysis.trace import ShapePropagator, _ThreadSafeTracer
    propagator = ShapePropagator(model, _ThreadSafeTracer().trace(model))
    propagator.run(Shape(shape))
    return propagator.nodes


def test_where_paths_join_the_field_is_the_widest_and_the_centre_that_paths():
    from core.analysis.receptive import centre_of_first_output, receptive_fields
    nodes = _propagated(_Join(), (1, 1, 6, 5))
    add = next(n.id for n in nodes if n.op == "add")
    assert receptive_fields(nodes)[add] == (3, 1)
    assert centre_of_first_output(nodes, add) == [1.0, 0.0]


@pytest.mark.parametrize("pool", [torch.nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveMaxPool2d(1)])
@pytest.mark.parametrize("side", [(2, 1), (1, 2), (6, 5)])
def test_a_map_of_several_positions_pooled_to_one_sees_the_whole_input(pool, side):
    """Two positions are already several (a 2×1 map: rows, not columns, count); after a join too."""
    from core.analysis.receptive import WHOLE, receptive_fields
    model = _Join(pool) if side == (6, 5) else torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1), pool)
    nodes = _propagated(model, (1, 1, *side))
    assert receptive_fields(nodes)[nodes[-1].id] == (WHOLE, None)


@pytest.mark.parametrize("side", [(2, 1), (1, 2)])
def test_a_dense_layer_on_a_flattened_map_of_two_positions_sees_the_whole_input(side):
    from core.analysis.receptive import WHOLE, receptive_fields
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1), torch.nn.Flatten(), torch.nn.Linear(2, 3))
    nodes = _propagated(model, (1, 1, *side))
    assert receptive_fields(nodes)[nodes[-1].id] == (WHOLE, None)
    single = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1), torch.nn.Flatten(), torch.nn.Linear(1, 3))
    one = _propagated(single, (1, 1, 1, 1))
    assert receptive_fields(one)[one[-1].id] == (1, 1)  # one position: nothing else to see


def test_padding_given_as_same_or_valid_is_its_number():
    """A convolution with padding="same" ((k − 1)/2 on each side for odd k) or "valid" (none) has the
    field, jump and centre of the same layer with that padding as a number."""
    from core.analysis.receptive import centre_of_first_output, receptive_fields
    conv = torch.nn.Conv2d
    named = torch.nn.Sequential(conv(1, 1, 5, padding="same"), conv(1, 1, 3, padding="valid"),
                                conv(1, 1, (3, 5), padding="same"))
    numbered = torch.nn.Sequential(conv(1, 1, 5, padding=2), conv(1, 1, 3, padding=0),
                                   conv(1, 1, (3, 5), padding=(1, 2)))
    found = []
    for model in named, numbered:
        nodes = _propagated(model, (1, 1, 12, 12))
        fields = receptive_fields(nodes)
        found.append([(fields[n.id], centre_of_first_output(nodes, n.id)) for n in nodes[1:]])
    assert found[0] == found[1]
    assert found[1][-1] == ((11, 1), [1.0, 1.0])
