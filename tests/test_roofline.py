"""Memory traffic and the roofline, checked by hand on two small models, and the H100 figures."""
import math
from pathlib import Path

import pytest

from core.analysis import analyze
from core.roofline import GPUS, measured_examples_per_second, roofline

ROOT = Path(__file__).resolve().parents[1]


def elements(report) -> list[int]:
    return [layer["bytes"] // 4 for layer in report["layers"]]


def test_lenet_traffic_by_hand():
    """Per layer, elements read (input + weights) and written (output), batch 1, fp32."""
    report = roofline(analyze("lenet").layers, batch=1)
    assert elements(report) == [
        784 + 156 + 3456,          # conv 1→6, 5×5: the 28² image and 156 weights in, 6×24² out
        3456 + 12 + 3456,          # BN: γ, β of 6 channels
        3456 + 3456,               # sigmoid
        3456 + 864,                # 2×2 average pool to 6×12²
        864 + 2416 + 1024,         # conv 6→16, 5×5, to 16×8²
        1024 + 32 + 1024, 1024 + 1024, 1024 + 256,
        0,                         # flatten is a view
        256 + 30840 + 120,         # linear 256→120
        120 + 240 + 120, 120 + 120,
        120 + 10164 + 84, 84 + 168 + 84, 84 + 84,
        84 + 850 + 10]
    assert report["bytes"] == 76016 * 4
    assert report["flops"] == 2 * analyze("lenet").macs


def test_a_tiny_resnet_reads_its_weights_once_per_batch():
    """One basic block of 4 channels on 3×8×8: 6,008 elements per example of which 430 weights."""
    layers = analyze("resnet18", (3, 8, 8), layers=(1,), width=4, stem="cifar", num_classes=2).layers
    one = roofline(layers, batch=1)
    assert one["bytes"] == 4 * (556 + 520 + 512 + 656 + 520 + 512 + 656 + 520
                                + 768  # the shortcut's add reads two tensors
                                + 512 + 260 + 0 + 16)
    assert one["flops"] == 2 * (6912 + 9216 + 9216 + 8)
    batch = roofline(layers, batch=64)
    assert batch["bytes"] == 4 * ((6008 - 430) * 64 + 430)
    assert roofline(layers, batch=64, dtype="bf16")["bytes"] == batch["bytes"] // 2


def test_each_layer_takes_the_longer_of_its_compute_and_its_memory_time():
    h100 = GPUS["h100"]
    report = roofline(analyze("resnet50").layers, batch=64)
    for layer in report["layers"]:
        peak = (h100.tensor_flops if layer["type"] in ("Conv2d", "Linear") else h100.vector_flops)["fp32"]
        assert layer["seconds"] == max(layer["flops"] / peak, layer["bytes"] / h100.bandwidth)
    assert math.isclose(report["forward_seconds"], sum(layer["seconds"] for layer in report["layers"]))
    assert report["training_examples_per_second"] == 64 / (3 * report["forward_seconds"])
    assert math.isclose(report["ridge"], 494.7e12 / 3.35e12)


def test_densenet121_moves_more_bytes_than_resnet50_with_fewer_flops():
    """Why densenet121 (2.8 GMACs) trains slower on an H100 than resnet50 (4.1 GMACs)."""
    dense, res = (roofline(analyze(name).layers) for name in ("densenet121", "resnet50"))
    assert dense["flops"] < res["flops"] and dense["bytes"] > res["bytes"]
    assert dense["intensity"] < res["intensity"] < dense["ridge"]  # both memory-bound on average
    assert dense["training_examples_per_second"] < res["training_examples_per_second"]


@pytest.mark.parametrize("name, speed", [("densenet121", 1154), ("resnet50", 1698)])
def test_the_measured_h100_rows_are_read_from_the_benchmarks(name, speed):
    measured = measured_examples_per_second((ROOT / "docs" / "benchmarks.md").read_text())
    assert measured[name] == {"input_shape": (3, 224, 224), "examples_per_second": speed}


def test_every_field_of_a_two_layer_roofline_by_hand():
    """A conv (tensor peak) and a ReLU (vector peak) on the laptop GPU at batch 2, fp32, by hand: bytes
    are activations per example × batch plus the weights once; FLOPs scale with the batch; each row's
    time is the larger of compute and memory; the totals add up; a training step is three passes."""
    from core.roofline import GPUS, layer_traffic, roofline
    conv = {"name": "c", "type": "Conv2d", "input_shapes": [[1, 1, 4, 4]], "output_shape": [1, 2, 4, 4],
            "params": 20, "macs": 288}
    relu = {"name": "r", "type": "ReLU", "input_shapes": [[1, 2, 4, 4]], "output_shape": [1, 2, 4, 4],
            "params": 0, "macs": 0}
    assert layer_traffic(conv) == {"name": "c", "type": "Conv2d", "flops": 576, "read": (16 + 20) * 4,
                                   "written": 32 * 4}
    assert layer_traffic(conv, "bf16")["read"] == (16 + 20) * 2
    gpu = GPUS["rtx4060_laptop"]
    report = roofline([conv, relu], "rtx4060_laptop", "fp32", batch=2)
    conv_bytes, relu_bytes = (16 + 32) * 4 * 2 + 20 * 4, (32 + 32) * 4 * 2
    conv_s = max(576 * 2 / gpu.tensor_flops["fp32"], conv_bytes / gpu.bandwidth)
    relu_s = relu_bytes / gpu.bandwidth
    assert report["layers"] == [
        {"name": "c", "type": "Conv2d", "flops": 1152, "bytes": conv_bytes, "intensity": 1152 / conv_bytes,
         "seconds": conv_s, "bound": "memory"},
        {"name": "r", "type": "ReLU", "flops": 0, "bytes": relu_bytes, "intensity": 0.0, "seconds": relu_s,
         "bound": "memory"}]
    assert (report["flops"], report["bytes"]) == (1152, conv_bytes + relu_bytes)
    assert report["intensity"] == 1152 / (conv_bytes + relu_bytes)
    assert report["forward_seconds"] == conv_s + relu_s
    assert report["training_step_seconds"] == 3 * (conv_s + relu_s)
    assert report["training_examples_per_second"] == 2 / (3 * (conv_s + relu_s))
    assert report["memory_bound_share"] == 1.0
    assert (report["gpu"], report["dtype"], report["batch"]) == ("rtx4060_laptop", "fp32", 2)
    assert report["ridge"] == gpu.tensor_flops["fp32"] / gpu.bandwidth and report["source"] == gpu.source


def test_a_compute_bound_layer_uses_its_peak_and_a_view_moves_nothing():
    """On the H100 a large matrix product is compute-bound at the tensor peak, the same FLOPs in a
    vector op take the vector peak; a Flatten moves no bytes."""
    from core.roofline import GPUS, roofline
    h100 = GPUS["h100"]
    big = {"name": "fc", "type": "Linear", "input_shapes": [[1, 4096]], "output_shape": [1, 4096],
           "params": 0, "macs": 4096 * 4096}
    vector = dict(big, type="GELU", name="g")
    flat = {"name": "f", "type": "Flatten", "input_shapes": [[1, 8, 2, 2]], "output_shape": [1, 32],
            "params": 0, "macs": 0}
    report = roofline([big, vector, flat], "h100", "bf16", batch=1024)
    fc, gelu, view = report["layers"]
    flops = 2 * 4096 * 4096 * 1024
    assert fc["bound"] == "compute" and fc["seconds"] == flops / h100.tensor_flops["bf16"]
    assert gelu["seconds"] == flops / h100.vector_flops["bf16"]
    assert view["bytes"] == 0 and view["intensity"] is None and view["seconds"] == 0
    assert report["memory_bound_share"] == view["seconds"] / report["forward_seconds"] == 0


def test_its_defaults_and_an_empty_network():
    from core.roofline import GPUS, roofline
    layer = {"name": "r", "type": "ReLU", "input_shapes": [[1, 4]], "output_shape": [1, 4], "params": 0,
             "macs": 0}
    report = roofline([layer])
    assert (report["gpu"], report["gpu_name"], report["dtype"], report["batch"]) == \
        ("h100", GPUS["h100"].name, "fp32", 64)
    assert report["bytes"] == (4 + 4) * 4 * 64
    empty = roofline([], "h100")
    assert (empty["intensity"], empty["training_examples_per_second"], empty["memory_bound_share"]) == \
        (None, None, None)


def test_measured_rows_come_from_their_own_section_only():
    from core.roofline import measured_examples_per_second
    row = "| resnet50 | 3×224×224 | fp32 | 64 | {} |"
    doc = "\n".join(["<!-- bench:memory -->", row.format("1,698"), "<!-- /bench:memory -->",
                     "<!-- bench:other -->", row.format("5"), "| vgg11 | 3×224×224 | x | 7 |",
                     "<!-- /bench:other -->"])
    assert measured_examples_per_second(doc) == {
        "resnet50": {"input_shape": (3, 224, 224), "examples_per_second": 1698}}
    assert measured_examples_per_second(doc, "other") == {
        "resnet50": {"input_shape": (3, 224, 224), "examples_per_second": 5},
        "vgg11": {"input_shape": (3, 224, 224), "examples_per_second": 7}}
    assert measured_examples_per_second(row.format("9") + "\n" + doc.split("\n", 1)[1], "memory") == {}
