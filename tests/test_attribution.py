"""Captum attributions: shapes and signs, attribution-based strength, and hooks always removed."""
import pytest
import torch

import core
from core.attribution import METHODS, attribute, attribution_strength
from core.connectivity import connection_strength


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return core.build_model("densenet40_k12", block_config=(3, 2), growth_rate=4, in_channels=1).eval()


def no_hooks(model):
    return all(not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                    or getattr(m, "_backward_pre_hooks", None)) for m in model.modules())


@pytest.mark.parametrize("method", METHODS)
def test_maps(model, method):
    images = torch.rand(3, 1, 8, 8)
    maps = attribute(model, images, method)
    assert maps.shape == (3, 8, 8) and torch.isfinite(maps).all() and (maps >= 0).all()
    assert no_hooks(model)


@pytest.mark.parametrize("method", METHODS)
def test_hooks_removed_after_failure(model, method):
    with pytest.raises(RuntimeError):
        attribute(model, torch.rand(2, 3, 8, 8), method)  # wrong channel count fails mid-way
    assert no_hooks(model)


def test_attribution_strength_has_the_weight_heatmap_layout(model):
    result = attribution_strength(model, torch.rand(4, 1, 8, 8))
    weights = connection_strength(model.state_dict())
    for a, w in zip(result["blocks"], weights["blocks"]):
        assert a["targets"] == w["targets"] and a["sources"] == w["sources"]
        for j in range(len(a["targets"])):
            column = [row[j] for row in a["matrix"] if row[j] is not None]
            assert sum(column) == pytest.approx(1.0)
            assert len(column) == len([row[j] for row in w["matrix"] if row[j] is not None])
    assert no_hooks(model)


def test_attribution_strength_rejects_non_densenets():
    with pytest.raises(core.ConfigError, match="applies to DenseNets"):
        attribution_strength(core.build_model("resnet20_cifar").eval(), torch.rand(1, 3, 32, 32))
