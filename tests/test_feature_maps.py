"""An image through a network (core/feature_maps.py): the points shown, and at each the top channels by
mean activation, their maps and the value range, equal to running the network's parts by hand."""
import torch

import core
from core.feature_maps import MAX_SIDE, feature_maps, points


def test_the_points_are_the_blocks_and_the_ends_of_each_size():
    config = core.get_config("resnet18")
    assert points(config, (3, 224, 224)) == ["stem.relu", "stem.pool", "layer1.0", "layer1.1", "layer2.0",
                                             "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1"]
    dense = core.get_config("densenet121")
    assert points(dense, (3, 224, 224)) == [
        "features.relu0", "features.pool0", "features.denseblock1", "features.transition1",
        "features.denseblock2", "features.transition2", "features.denseblock3", "features.transition3",
        "features.denseblock4", "relu"]  # the global pool's 1×1 map is no image
    lenet = core.get_config("d2l_lenet_bn")
    assert points(lenet, (1, 28, 28)) == ["net.2", "net.3", "net.6", "net.7"]  # each size's last layer


def test_the_maps_are_the_networks_own_activations():
    torch.manual_seed(0)
    config = core.get_config("densenet40_k12")
    model = core.build_model(config).eval()
    image = torch.rand(1, 3, 32, 32)
    result = feature_maps(model, image, points(config, (3, 32, 32)), top=5)
    with torch.no_grad():
        block1 = model.features[:2](image)[0]  # conv0, then the first dense block (its concatenation)
        probabilities = model(image).softmax(1)[0]
    shown = next(p for p in result["points"] if p["name"] == "features.denseblock1")
    assert shown["shape"] == [160, 32, 32] and shown["min"] == float(block1.min())
    means = block1.mean(dim=(1, 2))
    expected = means.argsort(descending=True)[:5].tolist()
    assert [c["channel"] for c in shown["channels"]] == expected
    for channel in shown["channels"]:
        torch.testing.assert_close(torch.from_numpy(channel["map"]), block1[channel["channel"]])
        assert channel["mean"] == float(means[channel["channel"]])
    assert result["label"] == int(probabilities.argmax())
    assert result["probability"] == float(probabilities.max())


def test_a_large_map_is_pooled_before_it_travels():
    config = core.get_config("resnet18")
    model = core.build_model(config).eval()
    result = feature_maps(model, torch.rand(1, 3, 224, 224), ["stem.relu"], top=2)
    shown = result["points"][0]
    assert shown["shape"] == [64, 112, 112]  # what the layer gives
    assert all(c["map"].shape == (MAX_SIDE, MAX_SIDE) for c in shown["channels"])  # what is sent


def test_the_effective_field_lies_inside_the_theoretical_square():
    """resnet18's layer1.1 at 64×64: its centre output (8, 8) of 16×16 has a 43-pixel field at jump 4,
    centred on input pixel 32: the gradient reaches exactly rows and columns 11 to 53."""
    from core.feature_maps import effective_field
    config = core.get_config("resnet18")
    torch.manual_seed(0)
    field = effective_field(core.build_model(config), torch.rand(1, 3, 64, 64), "layer1.1", config)
    assert (field["field"], field["jump"]) == (43, 4)
    assert (field["position"], field["output_side"]) == ([8, 8], [16, 16])
    assert field["centre"] == [32.0, 32.0]
    rows, cols = field["map"].nonzero()
    half = (field["field"] - 1) // 2
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (32 - half, 32 + half, 32 - half, 32 + half)
    assert field["map"].max() == 1.0


def test_a_dense_networks_field_outgrows_the_image_while_its_gradient_stays_inside():
    from core.feature_maps import effective_field
    config = core.get_config("densenet40_k12")
    field = effective_field(core.build_model(config), torch.rand(1, 3, 32, 32), "features.denseblock3",
                            config)
    assert field["field"] > 32  # the theoretical square is larger than the image
    assert field["map"].shape == (32, 32)  # the gradient lives on the image's pixels only


def test_a_layer_the_network_lacks_is_refused_with_its_name():
    """A page (or a hand-made request) asking for a layer or stage that is not there gets core's error,
    never an exception from get_submodule."""
    from conftest import shipped

    from app.workers import checkpoints as worker
    path = str(shipped("densenet_fig5"))
    stamp = "test"
    image = torch.rand(1, 28, 28).numpy()
    for ask in (lambda: worker.feature_maps(path, stamp, image, "features.nowhere"),
                lambda: worker.effective_field(path, stamp, image, "features.nowhere")):
        refused = ask()
        assert "error" in refused and "'features.nowhere' is not a layer of this network" in \
            refused["error"]["message"]
    one = worker.feature_maps(path, stamp, image, "features.denseblock1.denselayer2.conv1")
    assert [p["name"] for p in one["points"]] == ["features.denseblock1.denselayer2.conv1"]
