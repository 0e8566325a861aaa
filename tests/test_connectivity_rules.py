"""The Fig. 5 heatmap (core/connectivity.py) on a state_dict written by hand, whose every cell is known
beforehand: each input channel of each weight holds one value, so a cell (the mean |w| over a source's
channels) is the mean of those values. Plus each refusal's whole message."""
import pytest
import torch

from core.checkpoints import CheckpointError
from core.connectivity import connection_strength


def weight(values, out=2, kernel=(3, 3)) -> torch.Tensor:
    """A conv (kernel given) or linear (kernel None) weight whose input channel c holds ±values[c]."""
    signs = torch.tensor([1.0, -1.0] * out)[:out].view(out, 1, *([1] * len(kernel or ())))
    shape = (out, len(values), *(kernel or ()))
    return torch.tensor(values, dtype=torch.float32).view(1, -1, *([1] * len(kernel or ()))).expand(
        shape) * signs


def key(block, layer):
    return f"features.denseblock{block}.denselayer{layer}.conv1.weight"


# Two blocks, k0 = 2, growth k = 1 (a plain layer: conv1 is the 3×3 that makes the k new channels).
STATE = {
    key(1, 1): weight([1, 3], out=1),  # block input: channels 1, 3 -> 2
    key(1, 2): weight([2, 4, 5], out=1),  # block input 2, 4 -> 3; layer 1 -> 5
    "features.transition1.conv.weight": weight([1, 1, 7, 3], out=2, kernel=(1, 1)),
    key(2, 1): weight([2, 2], out=1),
    "classifier.weight": weight([1, 2, 9], out=10, kernel=None),  # after the last block
}


def test_each_cell_is_the_mean_absolute_weight_over_its_sources_channels():
    heatmap = connection_strength(STATE)
    assert heatmap["normalize"] == "none"
    first, second = heatmap["blocks"]
    assert first == {"name": "dense block 1", "k0": 2, "growth_rate": 1, "one_shot": False,
                     "sources": ["block input", "layer 1", "layer 2"],
                     "targets": ["layer 1", "layer 2", "transition 1"],
                     "matrix": [[2.0, 3.0, 1.0], [None, 5.0, 7.0], [None, None, 3.0]]}
    assert second == {"name": "dense block 2", "k0": 2, "growth_rate": 1, "one_shot": False,
                      "sources": ["block input", "layer 1"], "targets": ["layer 1", "classifier"],
                      "matrix": [[2.0, 1.5], [None, 9.0]]}


def test_per_target_and_global_normalisation():
    target = connection_strength(STATE, "target")["blocks"]
    assert target[0]["matrix"] == [[1.0, 0.6, 1 / 7], [None, 1.0, 1.0], [None, None, 3 / 7]]
    overall = connection_strength(STATE, "global")["blocks"]
    assert overall[1]["matrix"] == [[2 / 9, 1.5 / 9], [None, 1.0]]
    silent = dict(STATE, **{key(2, 1): weight([0, 0], out=1)})  # a column of zeros stays zeros
    assert connection_strength(silent, "target")["blocks"][1]["matrix"][0][0] == 0.0


def test_a_one_shot_block_has_one_cell_per_layer_and_a_one_layer_block_is_dense():
    """Layer ℓ > 1 of a one-shot block reads only layer ℓ − 1 (its k channels); the transition after
    it reads every source."""
    state = {key(1, 1): weight([1, 3], out=1), key(1, 2): weight([6], out=1), key(1, 3): weight([8], out=1),
             "features.transition1.conv.weight": weight([1, 1, 2, 4, 5], out=2, kernel=(1, 1))}
    block = connection_strength(state)["blocks"][0]
    assert block["one_shot"] is True
    assert block["matrix"] == [[2.0, None, None, 1.0], [None, 6.0, None, 2.0], [None, None, 8.0, 4.0],
                               [None, None, None, 5.0]]
    two = connection_strength({key(1, 1): weight([1, 3], out=1), key(1, 2): weight([6], out=1)})["blocks"][0]
    assert two["one_shot"] is True and two["matrix"] == [[2.0, None], [None, 6.0], [None, None]]
    single = connection_strength({key(1, 1): weight([1, 3], out=1)})["blocks"][0]
    assert single["one_shot"] is False and single["matrix"] == [[2.0], [None]]


@pytest.mark.parametrize("normalize", ["bogus", "Target", ""])
def test_an_unknown_normalisation_is_refused_naming_the_choices(normalize):
    with pytest.raises(CheckpointError) as refused:
        connection_strength(STATE, normalize)
    assert str(refused.value) == f"normalize = {normalize!r}: use one of none, target, global"


@pytest.mark.parametrize("state, metadata, called", [
    ({"layer1.0.conv1.weight": torch.zeros(1)}, {}, "a ResNet"),
    ({"x.weight": torch.zeros(1)}, {"family": "alexnet"}, "an alexnet"),
    ({"x.weight": torch.zeros(1)}, {"family": "vgg"}, "a vgg"),
    ({"x.weight": torch.zeros(1)}, {}, "an unknown architecture"),
    ({key(1, 2): torch.zeros(1)}, {}, "an unknown architecture"),  # no first layer: no dense block
])
def test_a_network_without_dense_blocks_is_named_in_the_refusal(state, metadata, called):
    with pytest.raises(CheckpointError) as refused:
        connection_strength(state, metadata=metadata)
    assert str(refused.value) == f"heatmap applies to DenseNets; this checkpoint is {called}"
