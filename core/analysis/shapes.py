"""Output shapes and MACs of common layers from their input shapes, without running anything.

Executing a graph on the meta device costs ~0.2 ms per op (Python meta kernels); these rules cost
microseconds. Layers without a rule are run on meta tensors instead (see trace.py), so a missing rule
is only slower, never wrong. Tests check every preset against torch.utils.flop_counter.
"""
from __future__ import annotations

import itertools
import math
import operator

import torch
import torch.nn.functional as F
from torch import nn


class Shape(tuple):
    """A tensor that is only a shape."""


class Collapse(RuntimeError):
    """A layer's output would have a non-positive size."""


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _window(size, kernel, stride, padding, dilation, ceil_mode):
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # PyTorch: the last window must start inside the input or left padding
    if out < 1:
        raise Collapse(f"Given input size {size}, kernel {kernel}, stride {stride}, padding "
                       f"{padding}: output size {out} is too small")
    return out


def _spatial(shape, module, dilation, ceil_mode=False):
    n, c, h, w = shape
    k, s, p, d = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding), _pair(dilation)
    return (_window(h, k[0], s[0], p[0], d[0], ceil_mode),
            _window(w, k[1], s[1], p[1], d[1], ceil_mode))


def _conv(m: nn.Conv2d, x):
    if isinstance(m.padding, str) or len(x) != 4 or x[1] != m.in_channels:
        return None
    h, w = _spatial(x, m, m.dilation)
    out = Shape((x[0], m.out_channels, h, w))
    return out, math.prod(out) * (m.in_channels // m.groups) * math.prod(m.kernel_size)


def _pool(m, x):
    if len(x) != 4 or getattr(m, "return_indices", False):
        return None
    h, w = _spatial(x, m, getattr(m, "dilation", 1), m.ceil_mode)
    return Shape((x[0], x[1], h, w)), 0


def _adaptive(m, x):
    if len(x) != 4:
        return None
    oh, ow = _pair(m.output_size)
    return Shape((x[0], x[1], oh or x[2], ow or x[3])), 0


def _linear(m: nn.Linear, x):
    if x[-1] != m.in_features:
        return None
    out = Shape((*x[:-1], m.out_features))
    return out, math.prod(out) * m.in_features


def _flatten(m: nn.Flatten, x):
    start, end = m.start_dim % len(x), m.end_dim % len(x)
    return Shape((*x[:start], math.prod(x[start:end + 1]), *x[end + 1:])), 0


def _same(m, x):
    return Shape(x), 0


def _batchnorm(m, x):
    return (Shape(x), 0) if len(x) > 1 and x[1] == m.num_features else None


MODULE_RULES = {
    nn.Conv2d: _conv, nn.MaxPool2d: _pool, nn.AvgPool2d: _pool, nn.AdaptiveAvgPool2d: _adaptive,
    nn.AdaptiveMaxPool2d: _adaptive, nn.Linear: _linear, nn.Flatten: _flatten,
    nn.BatchNorm1d: _batchnorm, nn.BatchNorm2d: _batchnorm,
    nn.ReLU: _same, nn.Sigmoid: _same, nn.Tanh: _same, nn.Dropout: _same, nn.Identity: _same,
}


def _cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors or not all(isinstance(t, Shape) for t in tensors):
        return None
    dim %= len(tensors[0])
    rest = [t[:dim] + t[dim + 1:] for t in tensors]
    if any(r != rest[0] for r in rest):
        return None
    first = tensors[0]
    return Shape((*first[:dim], sum(t[dim] for t in tensors), *first[dim + 1:]))


def _add(a, b):
    return Shape(a) if isinstance(a, Shape) and isinstance(b, Shape) and a == b else None


def _mul(a, b):
    """Elementwise product of two maps, broadcast (a squeeze-and-excitation gate of N×C×1×1 scales an
    N×C×H×W map); None where they don't broadcast, so running it on meta tensors says why."""
    if not (isinstance(a, Shape) and isinstance(b, Shape)):
        return None
    out = []
    for x, y in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return Shape(reversed(out))


def _getitem(x, index):
    if not isinstance(x, Shape) or not isinstance(index, tuple) or len(index) > len(x) \
            or not all(isinstance(i, slice) for i in index):
        return None
    sizes = [len(range(*sl.indices(n))) for sl, n in zip(index, x, strict=False)]
    return Shape((*sizes, *x[len(index):]))


def _pad(x, pad, mode="constant", value=None):
    if not isinstance(x, Shape) or mode != "constant" or len(pad) % 2:
        return None
    out = list(x)
    for i in range(len(pad) // 2):
        out[-1 - i] += pad[2 * i] + pad[2 * i + 1]
    return Shape(out)


def _same_fn(x, *args, **kwargs):
    return Shape(x) if isinstance(x, Shape) else None


FUNCTION_RULES = {
    torch.cat: _cat, F.relu: _same_fn, torch.relu: _same_fn, operator.add: _add, operator.iadd: _add,
    operator.mul: _mul, operator.getitem: _getitem, F.pad: _pad,
}
