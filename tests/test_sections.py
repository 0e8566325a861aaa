"""A network part by part (core/analysis/sections.py): stem, stages by side, transitions, head, with
their joins, counts, channels and parameters; and the channels each convolution reads against depth."""
import pytest

import core
from core.analysis import analyze
from core.analysis.sections import channel_curve, sections


@pytest.mark.parametrize("name", core.list_presets())
def test_the_parts_of_every_preset_add_up_to_the_whole(name):
    analysis = analyze(name)
    parts = sections(analysis.trace)
    assert sum(p["params"] for p in parts) == analysis.trace.total_params
    assert parts[-1]["role"] == "head" and parts[-1]["out_channels"] == analysis.config.num_classes
    assert {p["role"] for p in parts} <= {"stem", "stage", "transition", "head"}
    named = [n for p in parts for n in p["names"]]
    assert len(named) == len(set(named))  # every block-level node in one part only


def _table(name):
    return [(p["role"], p["side"], p["join"], p["units"], p["unit"], p["out_channels"])
            for p in sections(analyze(name).trace)]


def test_resnet50_against_densenet121_reads_as_the_chapter_says():
    assert _table("resnet50") == [
        ("stem", 56, "none", 4, "layers", 64),
        ("stage", 56, "add", 3, "blocks", 256), ("stage", 28, "add", 4, "blocks", 512),
        ("stage", 14, "add", 6, "blocks", 1024), ("stage", 7, "add", 3, "blocks", 2048),
        ("head", None, "none", 3, "layers", 1000)]
    assert _table("densenet121") == [
        ("stem", 56, "none", 4, "layers", 64),
        ("stage", 56, "concatenate", 6, "layers", 256), ("transition", 28, "none", 4, "layers", 128),
        ("stage", 28, "concatenate", 12, "layers", 512), ("transition", 14, "none", 4, "layers", 256),
        ("stage", 14, "concatenate", 24, "layers", 1024), ("transition", 7, "none", 4, "layers", 512),
        ("stage", 7, "concatenate", 16, "layers", 1024), ("head", None, "none", 5, "layers", 1000)]


def test_one_shot_aggregation_and_inception_and_a_plain_chain():
    osa = sections(analyze("densenet121", aggregation="osa").trace)
    assert {p["join"] for p in osa if p["role"] == "stage"} == {"one-shot aggregation"}
    assert {p["join"] for p in sections(analyze("d2l_googlenet").trace) if p["role"] == "stage"} == \
        {"concatenate"}
    assert _table("d2l_lenet_bn") == [("stage", 4, "none", 8, "layers", 16),
                                      ("head", None, "none", 8, "layers", 10)]


def test_the_channel_curve_is_each_convolutions_input_at_its_depth():
    curve = channel_curve(analyze("densenet121").trace)
    assert len(curve) == 121 and curve[-1]["depth"] == 121  # 120 convolutions and the classifier
    block1 = [p["channels"] for p in curve if p["name"].startswith("features.denseblock1")
              and p["name"].endswith("conv1")]
    assert block1 == [64 + 32 * (layer - 1) for layer in range(1, 7)]  # k0 + k·(l−1)
    resnet = channel_curve(analyze("resnet50").trace)
    assert max(p["depth"] for p in resnet) == 50 and len(resnet) == 54  # and 4 shortcut projections
    shortcut = next(p for p in resnet if p["name"] == "layer1.0.downsample.0")
    assert shortcut["depth"] == next(p for p in resnet if p["name"] == "layer1.0.conv1")["depth"]
