"""Checkpoint format, safe loading, and the shipped checkpoints."""
import json

import pytest
import torch
from conftest import ROOT, hostile_pickle

import core
from core.checkpoints import CheckpointError, load_checkpoint, load_weights, read_state_dict, save_checkpoint
from core.connectivity import connection_strength
from core.data import PACKAGED_FASHION_MNIST, fashion_mnist_test, load_digits
from core.train import evaluate

SHIPPED = sorted(p for p in (ROOT / "assets").glob("*.safetensors")
                 if not p.name.endswith(".state.safetensors"))  # a run of make_assets going on


def test_hostile_pickle_runs_nothing(tmp_path):
    path, marker = hostile_pickle(tmp_path)
    with pytest.raises(core.ConfigError, match="refused") as info:
        load_checkpoint(path)
    assert not marker.exists()
    assert "weights_only=False" not in str(info.value)  # never advise loading it unsafely


def test_round_trip_rebuilds_from_metadata_alone(tmp_path):
    config = core.get_config("d2l_densenet", block_config=(2, 2))
    model = core.build_model(config).eval()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, config, "digits", 3, 0.875)
    checkpoint = load_checkpoint(path)
    assert set(checkpoint.metadata) >= {"arch", "config", "dataset", "epochs", "test_accuracy",
                                        "created", "torch_version"}
    assert json.loads(checkpoint.metadata["config"]) == config.to_dict()
    assert checkpoint.config == config and checkpoint.metadata["test_accuracy"] == "0.8750"
    x = torch.randn(2, 1, 64, 64)
    torch.testing.assert_close(checkpoint.model()(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[: len(b) // 2], "not a valid safetensors"),
    (lambda b: b"garbage" * 10, "not a valid safetensors"),
])
def test_corrupt_files_give_clear_messages(tmp_path, damage, message):
    good = tmp_path / "good.safetensors"
    save_checkpoint(good, core.build_model("d2l_lenet_bn"), core.get_config("d2l_lenet_bn"), "digits",
                    1, 0.1)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(core.ConfigError, match=message):
        load_checkpoint(bad)


def test_wrong_suffix_and_truncated_pt(tmp_path):
    with pytest.raises(core.ConfigError, match="unsupported file type"):
        read_state_dict(tmp_path / "weights.pkl")
    path = tmp_path / "w.pt"
    torch.save(core.build_model("d2l_lenet_bn").state_dict(), path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(core.ConfigError, match="cannot be read|refused"):
        read_state_dict(path)


def test_shape_mismatch_lists_keys():
    model = core.build_model("d2l_lenet_bn")
    state = model.state_dict()
    state["extra.weight"] = torch.zeros(1)
    del state["net.0.bias"]
    state["net.0.weight"] = torch.zeros(3, 1, 5, 5)
    with pytest.raises(core.ConfigError) as info:
        load_weights(model, state)
    text = str(info.value)
    assert "missing keys: net.0.bias" in text and "unexpected keys: extra.weight" in text
    assert "net.0.weight [3, 1, 5, 5] vs [6, 1, 5, 5]" in text


def _test_set(path, checkpoint) -> tuple[torch.Tensor, torch.Tensor]:
    """The checkpoint's dataset's test set, after its stated accuracy is checked against the bar."""
    metadata = checkpoint.metadata
    accuracy = float(metadata["test_accuracy"])
    if path.stem.endswith("_fashion"):
        assert metadata["dataset"] == "fashion-mnist" and accuracy >= 0.90
        if not PACKAGED_FASHION_MNIST.is_dir():
            pytest.skip("Fashion-MNIST is not installed: its accuracy cannot be checked here")
        return fashion_mnist_test(PACKAGED_FASHION_MNIST)
    assert metadata["dataset"] == "digits" and accuracy >= 0.95
    data = load_digits()
    return data.test_x, data.test_y


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_checkpoints(path):
    """Each file loads, is small, holds its network's heatmap, and its stated test accuracy
    (Fashion-MNIST's ≥ 0.90, digits' ≥ 0.95) is what its weights score on 1,000 images of its test
    set (every 10th), in the precision it was trained in, within 4 standard errors of a 1,000-image
    sample (±0.03 at 0.93): a model that is not the one measured scores far off (one that guesses:
    0.10). The whole test set, exactly: test_shipped_accuracy_on_the_whole_test_set (make test-slow)."""
    assert path.stat().st_size < 10 * 2**20
    checkpoint = load_checkpoint(path)
    test_x, test_y = _test_set(path, checkpoint)
    accuracy = float(checkpoint.metadata["test_accuracy"])
    sample = slice(0, None, max(1, len(test_y) // 1000))
    error = 4 * (accuracy * (1 - accuracy) / len(test_y[sample])) ** 0.5
    assert evaluate(checkpoint.model(), test_x[sample], test_y[sample], torch.device("cpu"),
                    dtype=checkpoint.metadata.get("precision", "fp32")) == pytest.approx(accuracy, abs=error)
    heatmap = connection_strength(checkpoint.state_dict, "target")
    assert len(heatmap["blocks"]) == len(checkpoint.config.block_config)


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_accuracy_on_the_whole_test_set(path):
    """The stated test accuracy is, to its 4 digits, what the weights score on the whole test set in
    the precision they were trained in (6 minutes on 2 cores for the three Fashion-MNIST files)."""
    checkpoint = load_checkpoint(path)
    test_x, test_y = _test_set(path, checkpoint)
    assert evaluate(checkpoint.model(), test_x, test_y, torch.device("cpu"),
                    dtype=checkpoint.metadata.get("precision", "fp32")) == pytest.approx(
        float(checkpoint.metadata["test_accuracy"]), abs=1e-4)


def test_fig5_network_is_shipped():
    config = load_checkpoint(ROOT / "assets" / "densenet_fig5_digits.safetensors").config
    assert (config.block_config, config.growth_rate, config.bn_size, config.compression) == \
        ((12, 12, 12), 12, 0, 1.0)


def test_a_deflated_pt_is_refused_before_torch_load_expands_it(tmp_path):
    """A 3 MB file with one deflate-compressed storage grew the server by 3 GB while loading."""
    import zipfile
    plain = tmp_path / "plain.pt"
    torch.save({"w": torch.zeros(4 * 2**20)}, plain)  # 16 MB of zeros, stored
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            dst.writestr(entry.filename, src.read(entry.filename))
    assert bomb.stat().st_size < 2**20  # zeros deflate ~1000:1
    with pytest.raises(CheckpointError, match="compressed entries"):
        read_state_dict(bomb)


def test_an_archive_that_expands_beyond_the_cap_is_refused(tmp_path, monkeypatch):
    import core.checkpoints as checkpoints
    path = tmp_path / "big.pt"
    torch.save({"w": torch.zeros(2**20)}, path)  # 4 MB
    monkeypatch.setattr(checkpoints, "MAX_CHECKPOINT_BYTES", 2 * 2**20)
    with pytest.raises(CheckpointError, match="holds 4 MB; the limit is 2 MB"):
        checkpoints._check_torch_archive(path)


def test_an_image_renamed_pt_is_not_a_checkpoint(tmp_path):
    from PIL import Image
    path = tmp_path / "photo.pt"
    Image.new("L", (8, 8)).save(path, format="PNG")
    with pytest.raises(CheckpointError) as caught:
        read_state_dict(path)
    assert "is not a checkpoint" in str(caught.value) and "run code" not in str(caught.value)


def test_a_state_dict_with_missing_and_unexpected_keys_is_refused_once_with_both(tmp_path):
    from core.registry import build_model
    state = build_model("densenet40_k12", in_channels=1).state_dict()
    del state["classifier.weight"]
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "partial.pt"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert "missing keys: classifier.weight" in message and "unexpected keys: extra.weight" in message
    assert "<" not in message and "tensor(" not in message  # no Python object repr


def _shipped_with(tmp_path, name: str, state=None, **metadata) -> str:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    source = ROOT / "assets" / "densenet_fig5_digits.safetensors"
    with safe_open(str(source), "pt") as f:
        original = f.metadata()
    path = tmp_path / name
    save_file(state or load_file(str(source)), str(path), metadata={**original, **metadata})
    return path


@pytest.mark.parametrize("metadata, message", [
    ({"test_accuracy": "abc"}, "metadata 'test_accuracy' = 'abc' is not a number in [0, 1]"),
    ({"epochs": "-3"}, "metadata 'epochs' = '-3' is not a whole number ≥ 0"),
    ({"config": "[" * 100_000 + "]" * 100_000}, "metadata 'config' nests deeper than 8 levels"),
])
def test_metadata_a_page_would_choke_on_is_refused_with_its_key(tmp_path, metadata, message):
    """test_accuracy="abc" raised ValueError in the app; a config nested 100,000 deep RecursionError."""
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(_shipped_with(tmp_path, "m.safetensors", **metadata))
    assert message in str(refused.value)


def test_weights_of_the_wrong_kind_are_refused_before_any_page_computes_with_them(tmp_path):
    """bool weights reached the heatmap, where abs() raised NotImplementedError."""
    from safetensors.torch import load_file
    state = load_file(str(ROOT / "assets" / "densenet_fig5_digits.safetensors"))
    state = {k: v > 0 if v.is_floating_point() else v for k, v in state.items()}
    with pytest.raises(CheckpointError, match="features.conv0.weight holds bool values where the model "
                                              "has float32"):
        load_checkpoint(_shipped_with(tmp_path, "b.safetensors", state))


@pytest.mark.parametrize("entries", [25_000, 70_000])  # 70,000: past 65,535, a zip64 end record
def test_an_archive_of_too_many_entries_is_refused_before_its_directory_is_read(tmp_path, entries):
    """200,000 entries reached torch.load, which answered "Could this error message be improved?"."""
    import zipfile
    path = tmp_path / "many.pt"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(entries):
            archive.writestr(f"archive/data/{i}", b"")
    with pytest.raises(CheckpointError, match=f"holds {entries:,} files; .* at most 20,000"):
        load_checkpoint(path)
