"""Each shape rule (core/analysis/shapes.py) against torch itself, over a grid of arguments: where a rule
answers, its shape is the one torch's own op gives on meta tensors and its MACs half the FLOPs that
torch.utils.flop_counter counts; where torch refuses (a window larger than its input), the rule raises
Collapse. A rule may decline (None: the op then runs on meta tensors), but not for the plain cases
every preset uses."""
import itertools
import operator

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from core.analysis.shapes import FUNCTION_RULES, MODULE_RULES, Collapse, Shape


def meta(shape) -> torch.Tensor:
    return torch.empty(shape, device="meta")


def torch_answer(op, *tensors):
    """(output shape, MACs) of `op` on meta tensors, or None when torch refuses the input."""
    try:
        with FlopCounterMode(display=False) as counter:
            out = op(*tensors)
    except RuntimeError:
        return None
    return tuple(out.shape), counter.get_total_flops() // 2


def check_module(module: nn.Module, shape: tuple) -> None:
    expected = torch_answer(module, meta(shape))
    rule = MODULE_RULES[type(module)]
    if expected is None:
        with pytest.raises(Collapse):
            rule(module, Shape(shape))
        return
    out, macs = rule(module, Shape(shape))
    assert isinstance(out, Shape) and (tuple(out), macs) == expected, (module, shape)
    assert isinstance(macs, int)  # a count, also in the summary's JSON


WINDOWS = [dict(kernel_size=k, stride=s, padding=p)
           for k, s, p in itertools.product((1, 2, 3), (1, 2, 3), (0, 1)) if p <= k // 2]


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("pool", [nn.MaxPool2d, nn.AvgPool2d])
def test_pooling_windows(pool, ceil_mode):
    for window, side, dilation in itertools.product(WINDOWS, range(1, 9), (1, 2)):
        extra = {"dilation": dilation} if pool is nn.MaxPool2d else {}
        if dilation > 1 and pool is nn.AvgPool2d:
            continue
        check_module(pool(ceil_mode=ceil_mode, **window, **extra), (2, 3, side, side + 1))


def test_convolution_windows_groups_and_dilation():
    for window, side, dilation, groups in itertools.product(WINDOWS, (1, 2, 5, 8), (1, 2), (1, 2)):
        conv = nn.Conv2d(4, 6, dilation=dilation, groups=groups, device="meta", **window)
        check_module(conv, (2, 4, side, side + 2))
    assert MODULE_RULES[nn.Conv2d](nn.Conv2d(4, 6, 3, device="meta"), Shape((2, 5, 8, 8))) is None


def test_windows_that_differ_along_height_and_width():
    """Each of kernel, stride, padding and dilation given per axis (height first)."""
    rectangles = [dict(kernel_size=(3, 1)), dict(kernel_size=(1, 3)), dict(kernel_size=3, stride=(2, 1)),
                  dict(kernel_size=3, stride=(1, 2)), dict(kernel_size=3, padding=(1, 0)),
                  dict(kernel_size=3, padding=(0, 1)), dict(kernel_size=3, dilation=(2, 1)),
                  dict(kernel_size=3, dilation=(1, 2))]
    for window in rectangles:
        check_module(nn.Conv2d(2, 2, device="meta", **window), (1, 2, 9, 7))
        check_module(nn.MaxPool2d(**window), (1, 2, 9, 7))


def test_rules_decline_what_they_do_not_model():
    assert MODULE_RULES[nn.MaxPool2d](nn.MaxPool2d(2, return_indices=True), Shape((1, 3, 8, 8))) is None
    assert MODULE_RULES[nn.MaxPool2d](nn.MaxPool2d(2), Shape((3, 8, 8))) is None  # unbatched
    same = nn.Conv2d(3, 3, 3, padding="same", device="meta")
    assert MODULE_RULES[nn.Conv2d](same, Shape((1, 3, 8, 8))) is None
    assert MODULE_RULES[nn.AdaptiveAvgPool2d](nn.AdaptiveAvgPool2d(1), Shape((3, 8, 8))) is None
    assert MODULE_RULES[nn.Linear](nn.Linear(4, 2, device="meta"), Shape((1, 5))) is None
    assert MODULE_RULES[nn.BatchNorm2d](nn.BatchNorm2d(4, device="meta"), Shape((1, 5, 2, 2))) is None
    assert MODULE_RULES[nn.BatchNorm1d](nn.BatchNorm1d(4, device="meta"), Shape((4,))) is None


@pytest.mark.parametrize("size", [1, (2, 3), (None, 2), (3, None), 7])
def test_adaptive_pooling(size):
    for pool in (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d):
        check_module(pool(size), (2, 3, 9, 11))


def test_linear_flatten_norms_and_activations():
    check_module(nn.Linear(5, 3, device="meta"), (2, 5))
    check_module(nn.Linear(5, 3, device="meta"), (2, 4, 5))
    for start, end in ((1, -1), (0, -1), (2, 3), (-3, -2), (1, 1)):
        check_module(nn.Flatten(start, end), (2, 3, 4, 5))
    check_module(nn.BatchNorm2d(3, device="meta"), (2, 3, 4, 5))
    check_module(nn.BatchNorm1d(3, device="meta"), (2, 3))
    for layer in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Dropout(), nn.Identity()):
        check_module(layer, (2, 3, 4, 5))


def check_function(op, *shapes_and_args) -> None:
    """FUNCTION_RULES[op] on Shapes, against `op` on meta tensors (args that are shapes are tuples
    marked by being Shape instances)."""
    def real(value):
        if isinstance(value, Shape):
            return meta(value)
        if isinstance(value, list):
            return [real(v) for v in value]
        return value
    try:
        expected = tuple(op(*[real(a) for a in shapes_and_args]).shape)
    except (RuntimeError, IndexError):
        expected = None
    answer = FUNCTION_RULES[op](*shapes_and_args)
    assert (None if answer is None else tuple(answer)) == expected, (op, shapes_and_args)
    assert answer is None or isinstance(answer, Shape)


def test_concatenation():
    a, b = Shape((2, 3, 4, 5)), Shape((2, 7, 4, 5))
    for dim in (1, -3):
        check_function(torch.cat, [a, b], dim)
    check_function(torch.cat, [a, Shape((2, 3, 4, 6))], 3)
    check_function(torch.cat, [a, Shape((2, 3, 4, 6))], -1)
    assert FUNCTION_RULES[torch.cat]([a, Shape((2, 3, 4, 6))], 1) is None  # torch refuses: no rule
    assert FUNCTION_RULES[torch.cat]([a, b]) is None  # dim 0: sizes of dim 1 differ
    check_function(torch.cat, [a, Shape((5, 3, 4, 5))])
    assert FUNCTION_RULES[torch.cat]([], 1) is None
    assert FUNCTION_RULES[torch.cat]([a, (2, 3, 4, 5)], 1) is None  # not all shapes


def test_addition_and_broadcast_products():
    a = Shape((2, 3, 4, 5))
    assert FUNCTION_RULES[operator.add](a, Shape(a)) == a and FUNCTION_RULES[operator.iadd](a, Shape(a)) == a
    assert FUNCTION_RULES[operator.add](a, Shape((2, 3, 4, 1))) is None  # broadcast: run on meta
    assert FUNCTION_RULES[operator.add](a, 1) is None
    for other in ((2, 3, 1, 1), (3, 1, 1), (1,), (2, 3, 4, 5), (5,), (1, 1, 4, 1), (2, 2, 4, 5), (4, 4)):
        check_function(operator.mul, a, Shape(other))
        check_function(operator.mul, Shape(other), a)
    assert FUNCTION_RULES[operator.mul](a, 2) is None


def test_slicing():
    x = Shape((4, 6, 8, 10))
    for index in ((slice(None), slice(0, 3)), (slice(1, None, 2),),
                  (slice(None), slice(None), slice(-3, None)), (slice(None, None, 3), slice(2, 1)),
                  (slice(None),) * 4):
        check_function(operator.getitem, x, index)
    assert FUNCTION_RULES[operator.getitem](x, 1) is None
    assert FUNCTION_RULES[operator.getitem](x, (slice(None), 1)) is None
    assert FUNCTION_RULES[operator.getitem](x, (slice(None),) * 5) is None
    assert FUNCTION_RULES[operator.getitem]((4, 6), (slice(None),)) is None


def test_padding():
    x = Shape((2, 3, 4, 5))
    for pad in ((1, 1), (0, 2, 3, 0), (1, 2, 3, 4, 5, 6), (2, 0)):
        check_function(F.pad, x, pad)
    assert FUNCTION_RULES[F.pad](x, (1, 1), "reflect") is None
    assert FUNCTION_RULES[F.pad](x, (1, 1, 1)) is None
    assert FUNCTION_RULES[F.pad]((2, 3), (1, 1)) is None


def test_elementwise_functions_keep_the_shape():
    x = Shape((2, 3, 4, 5))
    for op in (F.relu, torch.relu):
        assert FUNCTION_RULES[op](x, inplace=True) == x and isinstance(FUNCTION_RULES[op](x), Shape)
        assert FUNCTION_RULES[op]((2, 3)) is None
