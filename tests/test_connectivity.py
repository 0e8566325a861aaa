"""Connection strength (paper Fig. 5) on checkpoints whose per-slice |w| is known exactly."""
import math

import pytest
import torch

import core
from core.checkpoints import read_state_dict, save_checkpoint
from core.connectivity import connection_strength


def synthetic_densenet(bottleneck: bool):
    """A small DenseNet whose conv1 weights are constant per source slice: value(s, l) = ±(s+1)/2^l."""
    config = core.get_config("densenet121", growth_rate=4, block_config=(3, 2), num_init_features=6,
                             bn_size=2 if bottleneck else 0, num_classes=5)
    model = core.build_model(config)
    state = model.state_dict()
    k0, k = 6, 4
    for layer in range(1, 4):
        w = state[f"features.denseblock1.denselayer{layer}.conv1.weight"]
        bounds = [0, k0] + [k0 + k * s for s in range(1, layer)]
        for s in range(layer):
            sign = -1 if s % 2 else 1
            w[:, bounds[s]:bounds[s + 1]] = sign * (s + 1) / 2**layer  # exact in float32
    state["features.transition1.conv.weight"][:] = 0.25
    state["classifier.weight"][:, :] = -0.5
    return state


@pytest.mark.parametrize("bottleneck", [False, True])
def test_exact_values_on_synthetic_weights(bottleneck):
    result = connection_strength(synthetic_densenet(bottleneck))
    block = result["blocks"][0]
    assert block["targets"] == ["layer 1", "layer 2", "layer 3", "transition 1"]
    assert block["sources"] == ["block input", "layer 1", "layer 2", "layer 3"]
    for layer in range(1, 4):
        for s in range(4):
            expected = (s + 1) / 2**layer if s < layer else None
            assert block["matrix"][s][layer - 1] == expected
    assert [row[3] for row in block["matrix"]] == [0.25] * 4
    last = result["blocks"][1]
    assert last["targets"][-1] == "classifier" and {row[-1] for row in last["matrix"]} == {0.5}


def test_a_one_shot_block_has_one_source_per_layer_and_a_full_transition_column():
    """VoVNet's OSA: layer ℓ ≥ 2 reads only layer ℓ − 1; the transition reads every source."""
    config = core.get_config("densenet121", growth_rate=4, block_config=(3, 2), num_init_features=6,
                             bn_size=0, num_classes=5, aggregation="osa")
    state = core.build_model(config).state_dict()
    for layer in range(1, 4):
        state[f"features.denseblock1.denselayer{layer}.conv1.weight"][:] = -layer / 8
    state["features.transition1.conv.weight"][:] = 0.25
    block = connection_strength(state)["blocks"][0]
    assert state["features.denseblock1.denselayer2.conv1.weight"].shape[1] == 4  # k, not k0 + k
    assert block["targets"] == ["layer 1", "layer 2", "layer 3", "transition 1"]
    for layer in range(1, 4):
        column = [row[layer - 1] for row in block["matrix"]]
        assert column == [layer / 8 if s == layer - 1 else None for s in range(4)]
    assert [row[3] for row in block["matrix"]] == [0.25] * 4


def test_the_shipped_one_shot_checkpoint_beside_the_dense_one():
    assets = core.checkpoints.pathlib.Path(__file__).resolve().parents[1] / "assets"
    dense, osa = (connection_strength(read_state_dict(assets / f"{n}.safetensors")[0], "target")
                  for n in ("densenet_fig5_digits", "vovnet_osa_digits"))
    for d, o in zip(dense["blocks"], osa["blocks"], strict=True):
        assert (d["k0"], d["growth_rate"], d["targets"]) == (o["k0"], o["growth_rate"], o["targets"])
        filled = [sum(v is not None for v in row[:-1]) for row in o["matrix"]]
        assert filled == [1] * 12 + [0]  # one connection per layer, none from the last into a layer
        assert sum(v is not None for row in d["matrix"] for v in row[:-1]) == 12 * 13 // 2
        assert all(row[-1] is not None for row in o["matrix"])  # the transition reads them all
        assert o["one_shot"] and not d["one_shot"]


def test_normalisations():
    state = synthetic_densenet(bottleneck=True)
    raw = connection_strength(state, "none")["blocks"]
    target = connection_strength(state, "target")["blocks"]
    whole = connection_strength(state, "global")["blocks"]
    top = max(v for b in raw for row in b["matrix"] for v in row if v is not None)
    for rb, tb, gb in zip(raw, target, whole):
        for j in range(len(rb["targets"])):
            column = [row[j] for row in tb["matrix"] if row[j] is not None]
            assert max(column) == 1.0 and min(column) >= 0
        for rrow, grow in zip(rb["matrix"], gb["matrix"]):
            for r, g in zip(rrow, grow):
                assert (r is None and g is None) or math.isclose(g, r / top)
    assert max(v for b in whole for row in b["matrix"] for v in row if v is not None) == 1.0


def test_torchvision_state_dict_with_legacy_keys(tmp_path):
    """A torchvision-format densenet121 .pth with the old `norm.1` keys, loaded weights_only."""
    state = core.build_model("densenet121").state_dict()
    legacy = {k.replace(".norm1.", ".norm.1.").replace(".conv1.", ".conv.1.")
              .replace(".norm2.", ".norm.2.").replace(".conv2.", ".conv.2.")
              if "denselayer" in k else k: v for k, v in state.items()}
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    path = tmp_path / "densenet121.pth"
    torch.save(legacy, path)
    loaded, metadata = read_state_dict(path)
    assert connection_strength(loaded) == connection_strength(state)
    assert core.checkpoints.load_checkpoint(path).config == core.get_config("densenet121")


def test_non_densenet_is_named(tmp_path):
    model = core.build_model("resnet18")
    path = tmp_path / "r.safetensors"
    save_checkpoint(path, model, core.get_config("resnet18"), "digits", 1, 0.5)
    state, metadata = read_state_dict(path)
    with pytest.raises(core.ConfigError, match="heatmap applies to DenseNets; this checkpoint is a ResNet"):
        connection_strength(state, metadata=metadata)
    torch.save(model.state_dict(), tmp_path / "r.pth")
    with pytest.raises(core.ConfigError, match="this checkpoint is a ResNet"):
        connection_strength(read_state_dict(tmp_path / "r.pth")[0])


def _heatmap(blocks):
    """A per-target-normalised heatmap from columns given per block (sources top to bottom)."""
    made = []
    for targets, columns in blocks:
        rows = max(len(c) for c in columns)
        matrix = [[c[s] if s < len(c) else None for c in columns] for s in range(rows)]
        made.append(dict(name=f"dense block {len(made) + 1}", targets=targets, matrix=matrix))
    return {"normalize": "target", "blocks": made}


def test_paper_observations_follow_the_weights():
    from core.connectivity import paper_observations
    # Block 1: layers read all sources evenly; transition too. Block 2: source 0 is always weakest;
    # the classifier's last quarter is strongest.
    block1 = (["layer 1", "layer 2", "layer 3", "transition 1"],
              [[1.0], [0.9, 1.0], [0.8, 0.9, 1.0], [0.7, 0.8, 0.9, 1.0]])
    block2 = (["layer 1", "layer 2", "layer 3", "classifier"],
              [[1.0], [0.2, 1.0], [0.1, 0.6, 1.0], [0.1, 0.2, 0.3, 1.0]])
    found = {o["id"]: o for o in paper_observations(_heatmap([block1, block2]))}
    assert found["spread"]["holds"] and found["spread"]["value"] == pytest.approx((1 + 1 + 0.5 + 2 / 3) / 4)
    assert found["transition"]["holds"] and found["transition"]["value"] == 1.0
    assert found["least_input"]["holds"] and found["least_input"]["value"] == 1.0
    assert found["classifier"]["holds"] and found["classifier"]["value"] == pytest.approx(1.0 / 0.2)
    # The opposite network: every layer leans on its newest source only, and block 2's layers on
    # source 0; the classifier on the earliest maps.
    block1 = (["layer 1", "layer 2", "layer 3", "transition 1"],
              [[1.0], [0.1, 1.0], [0.1, 0.1, 1.0], [0.1, 0.1, 0.1, 1.0]])
    block2 = (["layer 1", "layer 2", "layer 3", "classifier"],
              [[1.0], [1.0, 0.2], [1.0, 0.1, 0.3], [1.0, 0.9, 0.8, 0.1]])
    found = {o["id"]: o for o in paper_observations(_heatmap([block1, block2]))}
    assert [found[k]["holds"] for k in ("spread", "transition", "least_input", "classifier")] == \
        [False, False, False, False]


def test_paper_observations_say_when_a_network_cannot_show_one():
    from core.connectivity import paper_observations
    one_block = (["layer 1", "layer 2"], [[1.0], [0.5, 1.0]])
    found = {o["id"]: o for o in paper_observations(_heatmap([one_block]))}
    assert found["transition"]["holds"] is None and found["least_input"]["holds"] is None
    assert found["classifier"]["holds"] is None
    with pytest.raises(ValueError):
        paper_observations({"normalize": "none", "blocks": []})


def test_paper_observations_on_their_boundaries():
    """Each observation's rule at its threshold: half the sources strong holds, a weakest source 0 in
    half the layers does not, a classifier that weighs late maps exactly as early ones does not."""
    from core.connectivity import paper_observations
    # spread: each layer 2 has one strong source of two -> 0.5 -> holds (">= 0.5")
    found = {o["id"]: o for o in paper_observations(_heatmap([
        (["layer 1", "layer 2", "transition 1"], [[1.0], [0.0, 1.0], [0.2, 0.1, 1.0]]),
        (["layer 1", "layer 2", "classifier"], [[1.0], [0.0, 1.0], [0.3, 0.3, 1.0]])]))}
    assert (found["spread"]["value"], found["spread"]["holds"]) == (0.5, True)
    assert found["transition"]["value"] == pytest.approx(1 / 3) and found["transition"]["holds"] is False
    assert found["classifier"]["holds"] is None  # three sources: too few to split into quarters
    # a source at exactly half its target's strongest counts as strong
    exact = paper_observations(_heatmap([(["layer 1", "layer 2"], [[1.0], [0.5, 1.0]])]))
    assert exact[0]["value"] == 1.0
    # transition: one of two sources strong -> 0.5 -> holds; least input: source 0 weakest in three of
    # six layers -> 0.5 -> does not hold ("> 0.5"); classifier: 8 sources, the last quarter (2) as
    # strong on average as the rest -> ratio 1.0 -> does not hold ("> 1.0")
    layers = [[1.0], [0.0, 1.0], [1.0, 0.0, 0.5], [0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0, 1.0],
              [0.0, 1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    classifier = [0.5] * 6 + [0.2, 0.8]
    found = {o["id"]: o for o in paper_observations(_heatmap([
        (["layer 1", "transition 1"], [[1.0], [0.1, 1.0]]),
        ([f"layer {i}" for i in range(1, 8)] + ["classifier"], layers + [classifier])]))}
    assert (found["transition"]["value"], found["transition"]["holds"]) == (0.5, True)
    assert (found["least_input"]["value"], found["least_input"]["holds"]) == (0.5, False)
    assert found["classifier"]["value"] == pytest.approx(1.0) and found["classifier"]["holds"] is False
    # a late quarter 1.5 times as strong holds
    found = {o["id"]: o for o in paper_observations(_heatmap([
        (["layer 1", "layer 2", "layer 3", "classifier"], [[1.0], [0.0, 1.0], [0.0, 0.0, 1.0],
                                                           [0.5, 0.5, 0.5, 0.75]])]))}
    assert found["classifier"]["value"] == pytest.approx(1.5) and found["classifier"]["holds"] is True
    single = {o["id"]: o for o in paper_observations(_heatmap([(["layer 1"], [[1.0]])]))}
    assert (single["spread"]["value"], single["spread"]["holds"]) == (None, None)  # no layer has two inputs
    with pytest.raises(ValueError) as refused:
        paper_observations({"normalize": "global", "blocks": []})
    assert str(refused.value) == "paper_observations needs the per-target ('target') normalisation"
