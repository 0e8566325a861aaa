"""The one DenseNet description (core/architectures/densenet_layout.py) against what reads or makes it:
the model built from it, a state_dict read back, the traced channel chart and the family's check. Over
every registered DenseNet preset, in both aggregations."""
import pytest

import core
from core.analysis import analyze
from core.analysis.channels import dense_blocks
from core.analysis.trace import build_on_meta
from core.architectures.densenet_layout import layout, layout_of, layout_of_state
from core.errors import ConfigError

DENSENETS = [name for name in core.list_presets() if core.get_config(name).family == "densenet"]
CASES = [(name, aggregation) for name in DENSENETS for aggregation in ("dense", "osa")]


def config_of(name, aggregation):
    return core.get_config(name).replace(aggregation=aggregation)


def test_the_layout_is_the_papers_arithmetic():
    """DenseNet-121: k0 = 64, k = 32, θ = 0.5 (Huang et al. 2017, Table 1): 64 + 6·32 = 256 → 128,
    128 + 12·32 = 512 → 256, 256 + 24·32 = 1024 → 512, 512 + 16·32 = 1024 into the classifier."""
    blocks = layout(64, 32, (6, 12, 24, 16), 0.5)
    assert [(b.k0, b.output, b.transition) for b in blocks] == [
        (64, 256, (256, 128)), (128, 512, (512, 256)), (256, 1024, (1024, 512)), (512, 1024, None)]
    assert [blocks[0].reads(layer) for layer in (1, 2, 6)] == [64, 96, 224]
    one_shot = layout(64, 32, (6,), 1.0, "osa")[0]
    assert [one_shot.reads(layer) for layer in (1, 2, 6)] == [64, 32, 32] and one_shot.output == 256
    assert blocks[1].sources() == [slice(0, 128)] + [slice(128 + 32 * i, 160 + 32 * i) for i in range(12)]
    assert blocks[1].sources(2) == [slice(0, 128), slice(128, 160)]
    # floor(θ·m), where 0.29 · 100 is 28.999… in floating point
    assert layout(100, 1, (0, 1), 0.29)[0].transition == (100, 29)


@pytest.mark.parametrize("name, aggregation", CASES)
def test_the_model_is_built_from_its_layout(name, aggregation):
    config = config_of(name, aggregation)
    model = build_on_meta(config)
    assert model.layout == layout_of(config)
    features = model.features
    for block in model.layout:
        layers = list(features.get_submodule(f"denseblock{block.index}").values())
        assert [layer.norm1.num_features for layer in layers] == [block.reads(i) for i in
                                                                  range(1, block.layers + 1)]
        assert {layer.conv2.out_channels if hasattr(layer, "conv2") else layer.conv1.out_channels
                for layer in layers} == {block.growth_rate}
        if block.transition:
            conv = features.get_submodule(f"transition{block.index}").conv
            assert (conv.in_channels, conv.out_channels) == block.transition
    assert features.norm5.num_features == model.classifier.in_features == model.layout[-1].output


@pytest.mark.parametrize("name, aggregation", CASES)
def test_a_state_dict_reads_back_as_its_layout(name, aggregation):
    config = config_of(name, aggregation)
    assert layout_of_state(build_on_meta(config).state_dict()) == layout_of(config)


@pytest.mark.parametrize("name, aggregation", CASES)
def test_the_traced_channel_chart_shows_the_layout(name, aggregation):
    """core/analysis/channels.py measures the blocks from the traced graph; it must find the layout."""
    config = config_of(name, aggregation)
    measured = dense_blocks(analyze(config, config.default_input()).trace)
    expected = layout_of(config)
    assert [b["layer_inputs"] for b in measured] == [[b.reads(i) for i in range(1, b.layers + 1)]
                                                     for b in expected]
    assert [(b["k0"], b["output"], b["growth"]) for b in measured] == [
        (b.k0, b.output, b.growth_rate) for b in expected]
    assert [b.get("transition") for b in measured] == [
        dict(name=f"features.transition{b.index}", input=b.transition[0], output=b.transition[1])
        if b.transition else None for b in expected]
    assert [b["one_shot"] for b in measured] == [b.one_shot and b.layers > 1 for b in expected]


def test_the_familys_check_refuses_the_transition_the_layout_leaves_empty():
    config = core.get_config("densenet40_k12")
    # 16 + 1 = 17 channels into transition 1: θ = 0.3 keeps 5, θ = 0.05 keeps floor(0.85) = 0
    assert layout(16, 1, (1, 1, 1), 0.3)[0].transition == (17, 5)
    config.replace(growth_rate=1, block_config=(1, 1, 1), compression=0.3)
    assert layout(16, 1, (1, 1, 1), 0.05)[0].transition == (17, 0)
    with pytest.raises(ConfigError, match="leaves transition 1 with 0 of 17 channels"):
        config.replace(growth_rate=1, block_config=(1, 1, 1), compression=0.05)
