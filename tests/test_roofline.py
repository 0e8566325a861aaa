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
