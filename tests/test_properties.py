"""Property tests: for random configs, the analysis either agrees exactly with the real module
(parameters, FLOPs from torch.utils.flop_counter, output shape) or raises a ConfigError that names
a field; and it rejects an input exactly when the real module cannot run on it."""
import pytest
import torch
from hypothesis import event, given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

import core
from core.analysis import analyze

# Out-of-range or ill-typed values that any field may receive (the UI and --set can send these).
JUNK = st.sampled_from([0, -1, 10**7, "abc", "", 1.5, [], [0], None])


def ints(lo, hi, n_lo, n_hi):
    return st.lists(st.integers(lo, hi), min_size=n_lo, max_size=n_hi)


SIDE = st.integers(4, 72)
# Stems that downsample hard need larger inputs to get past them often enough; GoogLeNet's fixed
# Inception widths make large inputs slow on CPU.
SIDES = {"alexnet": st.integers(40, 160), "nin": st.integers(40, 160), "googlenet": st.integers(8, 48)}
FAMILIES = {
    "lenet": dict(channels=ints(1, 12, 2, 2), kernel_size=st.integers(1, 7),
                  hidden=ints(1, 32, 2, 2), batch_norm=st.booleans(),
                  activation=st.sampled_from(["sigmoid", "relu"]), pool=st.sampled_from(["avg", "max"]),
                  input_size=SIDE),
    "alexnet": dict(channels=ints(1, 12, 5, 5), first_kernel=st.integers(1, 11),
                    first_stride=st.integers(1, 5), first_padding=st.integers(0, 5),
                    hidden=st.integers(1, 32), dropout_first=st.booleans(),
                    adaptive_pool=st.integers(0, 4), input_size=st.integers(40, 160)),
    "vgg": dict(convs_per_block=ints(1, 2, 3, 3), channels=ints(1, 12, 2, 4),
                batch_norm=st.booleans(), hidden=st.integers(1, 32), adaptive_pool=st.integers(0, 3),
                input_size=SIDE),
    "nin": dict(channels=ints(1, 12, 3, 3), dropout=st.floats(0, 0.9)),
    "googlenet": dict(batch_norm=st.booleans(), branch3_kernel=st.sampled_from([3, 5]),
                      pool_style=st.sampled_from(["ceil", "pad"]), dropout=st.floats(0, 0.9)),
    "resnet": dict(block=st.sampled_from(["basic", "bottleneck"]), layers=ints(1, 2, 1, 4),
                   width=st.integers(1, 12), preact=st.booleans(),
                   stem=st.sampled_from(["imagenet", "cifar"]),
                   shortcut=st.sampled_from(["projection", "conv", "pad"]), conv_bias=st.booleans(),
                   groups=st.sampled_from([1, 1, 2, 4]),
                   width_per_group=st.sampled_from([64, 64, 1, 4, 16])),
    "regnet": dict(stem_width=st.integers(1, 12), depths=ints(1, 2, 1, 3), widths=ints(1, 24, 1, 3),
                   group_width=st.integers(1, 8),
                   bottleneck_ratio=st.sampled_from([1.0, 1.0, 0.25, 0.5, 2.0]),
                   se_ratio=st.sampled_from([0.0, 0.0, 0.25, 0.05]), conv_bias=st.booleans()),
    "densenet": dict(growth_rate=st.integers(1, 8), block_config=ints(1, 3, 1, 4),
                     num_init_features=st.integers(1, 12), bn_size=st.integers(0, 4),
                     compression=st.floats(0.05, 1.0), drop_rate=st.floats(0, 0.5),
                     stem=st.sampled_from(["imagenet", "cifar"]), conv_bias=st.booleans(),
                     memory_efficient=st.booleans(), aggregation=st.sampled_from(["dense", "osa"])),
}


@st.composite
def case(draw, family):
    """(overrides, input shape): small valid values for every field (defaults are ImageNet-sized and
    tested in test_presets), and in about one case in five a junk value in one field."""
    fields = {**FAMILIES[family], "in_channels": st.integers(1, 3), "num_classes": st.integers(1, 12)}
    overrides = {k: draw(v) for k, v in fields.items()}
    if draw(st.integers(0, 4)) == 0:
        overrides[draw(st.sampled_from(sorted(fields)))] = draw(JUNK)
    c = overrides["in_channels"] if isinstance(overrides["in_channels"], int) else 1
    sized = overrides.get("input_size")
    side = sized if isinstance(sized, int) and draw(st.booleans()) \
        else draw(SIDES.get(family, st.integers(4, 72)))
    return overrides, (max(c, 1), side, side)


def names_a_field(exc: core.ConfigError) -> bool:
    return bool(exc.field) and exc.field.split(".")[-1].replace("_shape", "") in str(exc)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@given(data=st.data())
def test_analysis_agrees_with_real_module_or_names_a_field(family, data):
    overrides, shape = data.draw(case(family))
    try:
        config = core.get_config(family, **overrides)
    except core.ConfigError as exc:
        assert names_a_field(exc), str(exc)
        event("rejected config")
        return
    try:
        analysis = analyze(config, shape)
    except core.ConfigError as exc:
        assert names_a_field(exc), str(exc)
        event("rejected input")
        if exc.field == "input_shape" and "collapses" in str(exc):
            with pytest.raises(RuntimeError):  # the real module cannot run on it either
                core.build_model(config).eval()(torch.zeros(1, *shape))
        return
    event("analysed and compared")
    model = core.build_model(config).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(1, *shape))
    assert analysis.trace.total_params == sum(p.numel() for p in model.parameters())
    assert analysis.trace.flops == counter.get_total_flops() == 2 * analysis.macs
    assert analysis.output_shape == list(out.shape)


def apply(suggestion: dict, overrides: dict, shape: tuple) -> tuple[dict, tuple]:
    """The overrides and input after a ConfigError's suggested fix."""
    overrides = {**overrides, **{k: v for k, v in suggestion.items() if k not in ("input_shape", "batch")}}
    if "input_size" in suggestion and "input_shape" not in suggestion:  # the input follows it
        return overrides, (shape[0], suggestion["input_size"], suggestion["input_size"])
    return overrides, tuple(suggestion.get("input_shape", shape))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@given(data=st.data())
def test_every_suggested_fix_is_accepted(family, data):
    """A rejected config or input carries the change that fixes it (the UI offers it, the message
    says it); applying it must give a config and input that the analysis accepts. Fixing one error
    may uncover the next (a junk value, then a too-small input): the fixes are applied in turn, and
    no error may come back."""
    overrides, shape = data.draw(case(family))
    seen = []
    for _ in range(6):
        try:
            analyze(core.get_config(family, **overrides), shape)
            return
        except core.ConfigError as exc:
            assert str(exc) not in seen, f"the fix did not fix: {seen}"
            seen.append(str(exc))
            assert exc.code, f"no code: {exc}"
            assert exc.suggestion, f"no suggestion: {exc}"
            event(exc.code)
            fixed = apply(exc.suggestion, overrides, shape)
            assert fixed != (overrides, shape), f"suggestion changes nothing: {exc}"
            overrides, shape = fixed
    raise AssertionError(f"still rejected after 6 fixes: {seen}")


@pytest.mark.parametrize("name, shape, overrides", [
    ("d2l_alexnet", (1, 16, 16), {}), ("d2l_alexnet", (1, 16, 16), {"input_size": 16}),
    ("d2l_vgg11", (1, 8, 8), {"input_size": 8}), ("d2l_lenet_bn", (1, 28, 28), {"kernel_size": 11}),
    ("d2l_nin", (1, 16, 16), {}), ("densenet121", (3, 224, 224), {"compression": 0.001}),
])
def test_named_suggested_fixes_work(name, shape, overrides):
    with pytest.raises(core.ConfigError) as caught:
        analyze(core.get_config(name, **overrides), shape)
    overrides, shape = apply(caught.value.suggestion, overrides, shape)
    analyze(core.get_config(name, **overrides), shape)


@pytest.mark.parametrize("name, overrides", [
    ("d2l_lenet_bn", {"kernel_size": 11, "input_size": 28}),
    ("d2l_vgg11", {"input_size": 8, "adaptive_pool": 0}),
    ("d2l_alexnet", {"input_size": 16, "adaptive_pool": 0}),
    ("d2l_alexnet", {"first_stride": 8, "input_size": 64, "adaptive_pool": 0}),
])
def test_a_suggested_input_size_is_the_smallest_that_runs(name, overrides):
    """The family's closed-form rule names the smallest input side: it runs through the model, and
    one pixel less is refused."""
    with pytest.raises(core.ConfigError) as caught:
        core.get_config(name, **overrides)
    side = caught.value.suggestion["input_size"]
    assert caught.value.args_["min"] == side
    config = core.get_config(name, **{**overrides, "input_size": side})
    analyze(config, config.default_input())
    with pytest.raises(core.ConfigError):
        core.get_config(name, **{**overrides, "input_size": side - 1})
