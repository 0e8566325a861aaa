"""Every refusal of an input (core/analysis/trace.py's check_input and the sized classifiers' rule),
each with its whole message, field, code, arguments and the suggestion a page applies: what a student
who types a wrong size reads."""
import pytest

import core
from core.analysis import analyze

# (model, input shape, batch) -> (message, field, code, args, suggestion)
REFUSED = {
    ("resnet18", (3, 224), 1): (
        "input shape (3, 224) is invalid: give C,H,W as three positive integers, e.g. 3,224,224",
        "input_shape", "input.invalid", {}, {"input_shape": [3, 224, 224]}),
    ("resnet18", (3, 0, 224), 1): (
        "input shape (3, 0, 224) is invalid: give C,H,W as three positive integers, e.g. 3,224,224",
        "input_shape", "input.invalid", {}, {"input_shape": [3, 224, 224]}),
    ("d2l_lenet_bn", (1, 28.0, 28), 1): (
        "input shape (1, 28.0, 28) is invalid: give C,H,W as three positive integers, e.g. 1,28,28",
        "input_shape", "input.invalid", {}, {"input_shape": [1, 28, 28]}),
    ("resnet18", (3, 64, 64), 0): (
        "batch = 0: must be an integer in [1, 4096]", "batch", "batch.range",
        {"value": 0, "low": 1, "high": 4096}, {"batch": 1}),
    ("resnet18", (3, 64, 64), 4097): (
        "batch = 4097: must be an integer in [1, 4096]", "batch", "batch.range",
        {"value": 4097, "low": 1, "high": 4096}, {"batch": 4096}),
    ("resnet18", (3, 64, 64), "2"): (
        "batch = 2: must be an integer in [1, 4096]", "batch", "batch.range",
        {"value": "2", "low": 1, "high": 4096}, {"batch": 1}),
    ("resnet18", (1, 64, 48), 1): (
        "input has 1 channels but resnet.in_channels = 3; use an input of 3,64,48 or set in_channels=1",
        "input_shape", "input.channels", {"channels": 1, "in_channels": 3}, {"input_shape": [3, 64, 48]}),
    ("resnet18", (3, 4097, 64), 1): (
        "input 4097×64 is too large: use H, W ≤ 4096", "input_shape", "input.too_large",
        {"height": 4097, "width": 64, "max": 4096}, {"input_shape": [3, 4096, 64]}),
    ("resnet18", (3, 64, 5000), 1): (
        "input 64×5000 is too large: use H, W ≤ 4096", "input_shape", "input.too_large",
        {"height": 64, "width": 5000, "max": 4096}, {"input_shape": [3, 64, 4096]}),
    ("d2l_lenet_bn", (1, 32, 32), 1): (  # LeNet has no adaptive_pool field: its classifier is always sized
        "lenet flattens its last feature map into a Linear sized for 28×28 inputs, but the input is 32×32; "
        "use an input of 1×28×28 or set input_size=32 (square inputs only)", "input_shape",
        "input.classifier_size",
        {"family": "lenet", "input_size": 28, "height": 32, "width": 32, "fits": True, "min": 32},
        {"input_size": 32}),
    ("d2l_alexnet", (1, 100, 100), 1): (
        "alexnet flattens its last feature map into a Linear sized for 224×224 inputs, but the input is "
        "100×100; use an input of 1×224×224 or set input_size=100 (square inputs only)",
        "input_shape", "input.classifier_size",
        {"family": "alexnet", "input_size": 224, "height": 100, "width": 100, "fits": True, "min": 100},
        {"input_size": 100}),
    ("d2l_alexnet", (1, 100, 120), 1): (
        "alexnet flattens its last feature map into a Linear sized for 224×224 inputs, but the input is "
        "100×120; use an input of 1×224×224 or set input_size ≥ 65 and use an input of 1×65×65 (square "
        "inputs only)", "input_shape", "input.classifier_size",
        {"family": "alexnet", "input_size": 224, "height": 100, "width": 120, "fits": False, "min": 65},
        {"input_size": 65, "input_shape": [1, 65, 65]}),
    ("d2l_alexnet", (1, 30, 30), 1): (
        "alexnet flattens its last feature map into a Linear sized for 224×224 inputs, but the input is "
        "30×30; use an input of 1×224×224 or set input_size ≥ 65 and use an input of 1×65×65 (at 30×30 the "
        "feature map collapses at features.5 (MaxPool2d)) (square inputs only)",
        "input_shape", "input.classifier_size",
        {"family": "alexnet", "input_size": 224, "height": 30, "width": 30, "fits": False, "min": 65},
        {"input_size": 65, "input_shape": [1, 65, 65]}),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=[f"case{i}" for i in range(len(REFUSED))])
def test_each_refused_input_says_what_and_how_to_fix_it(case):
    name, shape, batch = case
    with pytest.raises(core.ConfigError) as refused:
        analyze(name, shape, batch=batch)
    error = refused.value
    assert (error.message, error.field, error.code, error.args_, error.suggestion) == REFUSED[case]


def test_the_limits_themselves_are_accepted():
    assert analyze("d2l_lenet_bn", (1, 28, 28), batch=4096).to_dict()["batch"] == 4096
    assert analyze("d2l_nin", (1, 4096, 96)).output_shape[-1] == 10
    assert analyze("d2l_alexnet", (1, 65, 65), input_size=65).output_shape == [1, 10]  # the size it names


def test_every_suggestion_is_accepted():
    """A page applies a refusal's suggestion as it is: the input then passes."""
    for (name, shape, batch), (*_, suggestion) in REFUSED.items():
        fixed = {"shape": suggestion.get("input_shape", shape), "batch": suggestion.get("batch", batch)}
        changes = {k: v for k, v in suggestion.items() if k not in ("input_shape", "batch")}
        if changes and "input_shape" not in suggestion:  # input_size alone: the input becomes that size
            fixed["shape"] = (shape[0], changes["input_size"], changes["input_size"])
        analyze(name, tuple(fixed["shape"]), batch=fixed["batch"], **changes)


# input_size's own range is [8, 1024]: a side inside it that the model runs at is offered as input_size;
# one past either end is not, and the smallest input_size the model runs at is offered instead.
ONE_BLOCK_VGG = dict(convs_per_block=(1,), channels=(8,), input_size=16, hidden=8)
AT_THE_RANGES_ENDS = {
    ("d2l_alexnet", 1024, ()): (True, "set input_size=1024", {"input_size": 1024}),
    ("d2l_alexnet", 1025, ()): (False, "set input_size ≥ 65 and use an input of 1×65×65",
                                {"input_size": 65, "input_shape": [1, 65, 65]}),
    ("d2l_vgg11", 8, tuple(ONE_BLOCK_VGG.items())): (True, "set input_size=8", {"input_size": 8}),
    ("d2l_vgg11", 7, tuple(ONE_BLOCK_VGG.items())): (False, "set input_size ≥ 8 and use an input of 1×8×8",
                                                     {"input_size": 8, "input_shape": [1, 8, 8]}),
}


@pytest.mark.parametrize("case", list(AT_THE_RANGES_ENDS),
                         ids=[f"case{i}" for i in range(len(AT_THE_RANGES_ENDS))])
def test_a_sized_classifiers_fix_stays_inside_input_sizes_range(case):
    name, side, overrides = case
    fits, fix, suggestion = AT_THE_RANGES_ENDS[case]
    config = core.get_config(name).replace(**dict(overrides))
    with pytest.raises(core.ConfigError) as refused:
        analyze(config, (1, side, side))
    error = refused.value
    size = config.input_size
    assert error.message == (f"{config.family} flattens its last feature map into a Linear sized for "
                             f"{size}×{size} inputs, but the input is {side}×{side}; use an input of "
                             f"1×{size}×{size} or {fix} (square inputs only)")
    assert (error.args_["fits"], error.args_["min"], error.suggestion) == (fits, suggestion["input_size"],
                                                                          suggestion)
    fixed = config.replace(input_size=suggestion["input_size"])
    analyze(fixed, tuple(suggestion.get("input_shape", (1, side, side))))  # the fix is accepted
