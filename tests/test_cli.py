"""The `python -m core` contract: commands, JSON keys, exit code 2 with one paragraph on bad input."""
import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
from conftest import ROOT

import core
import core.analysis
from core.cli import main

SUMMARY_KEYS = {"name", "family", "config", "input_shape", "output_shape", "total_params",
                "trainable_params", "macs", "flops", "layers"}
LAYER_KEYS = {"name", "type", "input_shapes", "output_shape", "params", "macs", "receptive_field", "jump"}


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_summary_json_contract():
    result = run_cli("summary", "densenet121", "--set", "growth_rate=12", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert SUMMARY_KEYS <= set(doc)
    assert all(LAYER_KEYS <= set(row) for row in doc["layers"])
    assert doc["config"]["growth_rate"] == 12 and doc["input_shape"] == [3, 224, 224]
    assert doc["total_params"] == sum(row["params"] for row in doc["layers"])
    assert doc["flops"] == 2 * doc["macs"] == 2 * sum(row["macs"] for row in doc["layers"])
    cat = next(r for r in doc["layers"] if r["name"] == "features.denseblock1.denselayer3.cat")
    assert [s[1] for s in cat["input_shapes"]] == [64, 12, 12]  # every input of the cat


@pytest.mark.parametrize("args, fragment", [
    (["summary", "densenet121", "--set", "growth_rate=0"], "densenet.growth_rate = 0: must be ≥ 1"),
    (["summary", "densenet12"], "Did you mean 'densenet121'?"),
    (["summary", "densenet121", "--set", "grwth_rate=3"], "did you mean 'growth_rate'?"),
    (["summary", "densenet121", "--set", "growth_rate"], "is not KEY=VALUE"),
    (["summary", "densenet121", "--set", "block_config=6,x"], "densenet.block_config = 6,x"),
    (["summary", "densenet121", "--input", "3,a,4"], "is not C,H,W"),
    (["summary", "d2l_alexnet", "--input", "1,16,16"], "sized for 224×224"),
    (["summary", "d2l_densenet", "--input", "1,8,8"], "use ≥ 29×29"),
    (["summary", "densenet121", "--input", "1,224,224"], "in_channels"),
    (["summary", "densenet121", "--set", "compression=0"], "compression = 0"),
    (["graph", "resnet18", "--expand", "layer9"], "expand"),
])
def test_bad_input_exits_2_with_one_paragraph(args, fragment):
    result = run_cli(*args)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0  # one paragraph


def test_list_graph_compare(capsys):
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert "densenet_bc190_k40" in [p["name"] for p in listing["presets"]]
    assert main(["graph", "d2l_densenet", "--expand", "features.denseblock1", "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert graph["expand"] == "features.denseblock1"
    assert main(["graph", "resnet18"]) == 0
    assert capsys.readouterr().out.startswith("digraph")
    assert main(["compare", "resnet50", "densenet121", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert [m["total_params"] for m in models] == [25_557_032, 7_978_856]
    assert [m["depth"] for m in models] == [50, 121]


def test_export_formats(tmp_path):
    for fmt in ("code", "dot", "json", "onnx"):
        out = tmp_path / f"lenet.{fmt}"
        assert main(["export", "d2l_lenet_bn", "--format", fmt, "--out", str(out)]) == 0
        assert out.stat().st_size > 0
    params = core.analysis.analyze("d2l_lenet_bn").trace.total_params
    # the code runs on its own and builds the same network
    run = subprocess.run([sys.executable, str(tmp_path / "lenet.code")], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["torch.Size([1,", "10])", str(params), "parameters"]
    # the ONNX graph is valid, takes the model's input and holds its weights (BN's running statistics
    # and counters are buffers: parameters + 2 per BN channel)
    model = onnx.load(str(tmp_path / "lenet.onnx"))
    onnx.checker.check_model(model)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims[1:] == [1, 28, 28]
    assert len(model.graph.output) == 1
    dot = (tmp_path / "lenet.dot").read_text()
    assert dot.startswith("digraph") and '"input" [label="input\\n1×28×28"' in dot
    assert json.loads((tmp_path / "lenet.json").read_text())["config"]["channels"] == [6, 16]
    # a bad config must not leave a file behind
    bad = tmp_path / "bad.py"
    assert main(["export", "d2l_lenet_bn", "--set", "channels=0,1", "--format", "code",
                 "--out", str(bad)]) == 2
    assert not bad.exists()


def test_heatmap_prints_cores_connection_strength_of_a_checkpoint(capsys):
    from core.checkpoints import load_checkpoint
    from core.connectivity import connection_strength
    path = ROOT / "assets" / "densenet_fig5_digits.safetensors"
    main(["heatmap", str(path), "--normalize", "target", "--json"])
    checkpoint = load_checkpoint(path)
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(
        connection_strength(checkpoint.state_dict, "target", checkpoint.metadata)))


def test_heatmap_of_a_pth_goes_through_the_apps_architecture_check(tmp_path):
    """A state_dict without its classifier and with an unknown key gave a heatmap on the CLI and a
    refusal in the app: both now load it the same way."""
    import torch

    from core.checkpoints import load_checkpoint
    state = dict(load_checkpoint(ROOT / "assets" / "densenet_fig5_digits.safetensors").state_dict)
    del state["classifier.weight"], state["classifier.bias"]
    state["features.extra.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "partial.pth")
    result = run_cli("heatmap", str(tmp_path / "partial.pth"))
    assert result.returncode == 2
    assert "the weights do not fit the architecture" in result.stderr
    assert "classifier.weight" in result.stderr and "features.extra.weight" in result.stderr


def test_a_one_shot_densenet_state_dict_without_metadata_is_recognised(tmp_path):
    """_infer_densenet knew dense aggregation only and refused an OSA state_dict misleadingly."""
    import torch

    from core.checkpoints import load_checkpoint
    osa = load_checkpoint(ROOT / "assets" / "vovnet_osa_digits.safetensors")
    torch.save(osa.state_dict, tmp_path / "osa.pth")
    loaded = load_checkpoint(tmp_path / "osa.pth")
    assert loaded.config.aggregation == "osa" and loaded.config == osa.config
    result = run_cli("heatmap", str(tmp_path / "osa.pth"))
    assert result.returncode == 0, result.stderr


def test_train_flags_reach_the_run(tmp_path, capsys):
    """--train-size, --optimizer, --lr, --input-size and --batch-size are the run's recipe: the
    checkpoint's input and the training state written beside it say so."""
    from core import resume
    from core.checkpoints import load_checkpoint
    out = tmp_path / "lenet.safetensors"
    assert main(["train", "d2l_lenet_bn", "--dataset", "digits", "--epochs", "1", "--train-size", "50",
                 "--batch-size", "16", "--optimizer", "adamw", "--lr", "0.005", "--input-size", "20",
                 "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["epochs"] == 1 and printed["out"] == str(out)
    assert json.loads(load_checkpoint(out).metadata["input_shape"]) == [1, 20, 20]
    state = resume.load(out)
    assert {k: state.recipe[k] for k in ("train_size", "batch_size", "optimizer", "lr", "input_size")} \
        == {"train_size": 50, "batch_size": 16, "optimizer": "adamw", "lr": 0.005, "input_size": 20}
    assert state.optimizer["param_groups"][0]["betas"]  # AdamW's, not SGD's momentum



def drawing(path):
    """A dark bar on white paper, as a student would draw it: light on dark after inversion."""
    from PIL import Image
    picture = Image.new("L", (40, 40), 255)
    picture.paste(0, (16, 6, 24, 34))
    picture.save(path)
    return path


FIG5_DIGITS = ROOT / "assets" / "densenet_fig5_digits.safetensors"


def test_features_writes_each_stages_maps_on_their_shared_scale(tmp_path, capsys):
    """`core features`: the stages core/feature_maps.py names, each with its top channels as PNGs on
    the stage's shared scale (the channel holding its largest value has a white pixel, the one holding
    its smallest a black one), features.json naming them, and core's prediction for the image."""
    from PIL import Image

    from core.attribution import predict
    from core.checkpoints import load_checkpoint
    from core.feature_maps import feature_maps, points
    from core.images import MIN_SIDE_OUT, read_image
    image = drawing(tmp_path / "bar.png")
    assert main(["features", str(FIG5_DIGITS), "--image", str(image), "--out", str(tmp_path / "out")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "out" / "features.json").read_text())
    assert printed["image"] == {"size": "40×40", "inverted": True, "input_shape": [1, 8, 8]}
    checkpoint = load_checkpoint(FIG5_DIGITS)
    assert [p["name"] for p in printed["points"]] == points(checkpoint.config, (1, 8, 8))
    x = read_image(image, 1, 8)[0]
    label, probability = predict(checkpoint.model(), x)
    assert printed["label"] == int(label[0])
    assert printed["probability"] == pytest.approx(float(probability[0]))
    expected = feature_maps(checkpoint.model(), x, points(checkpoint.config, (1, 8, 8)))["points"]
    for point, truth in zip(printed["points"], expected, strict=True):
        low, high = point["scale"]
        assert point["min"] <= low < high <= point["max"] and len(point["channels"]) >= 1
        for channel, map_ in zip(point["channels"], truth["channels"], strict=True):
            grey = Image.open(tmp_path / "out" / channel["file"])
            assert grey.mode == "L" and min(grey.size) >= MIN_SIDE_OUT
            factor = grey.size[0] // map_["map"].shape[1]
            pixels = np.asarray(grey)[::factor, ::factor]
            assert np.abs(pixels - (map_["map"] - low) / (high - low) * 255).max() <= 0.51
    assert Image.open(tmp_path / "out" / "input.png").size == (MIN_SIDE_OUT, MIN_SIDE_OUT)


def test_features_of_one_layer_and_refusals(tmp_path):
    image = str(drawing(tmp_path / "bar.png"))
    layer = "features.denseblock1.denselayer2.conv1"
    result = run_cli("features", str(FIG5_DIGITS), "--image", image, "--layer", layer,
                     "--out", str(tmp_path / "one"))
    assert result.returncode == 0, result.stderr
    [point] = json.loads(result.stdout)["points"]
    assert point["name"] == layer and point["shape"][1:] == [8, 8]
    result = run_cli("features", str(FIG5_DIGITS), "--image", image, "--layer", "features.nope",
                     "--out", str(tmp_path / "none"))
    assert result.returncode == 2 and "'features.nope' is not a layer" in result.stderr
    assert layer in result.stderr and not (tmp_path / "none").exists()
    (tmp_path / "text.png").write_text("not an image")
    result = run_cli("features", str(FIG5_DIGITS), "--image", str(tmp_path / "text.png"),
                     "--out", str(tmp_path / "text"))
    assert result.returncode == 2 and "not an image this command can read" in result.stderr


def test_the_shipped_example_image_is_fashion_mnists_first_test_image():
    """README names assets/ankle_boot.png so; the shipped Fig. 5 network calls it an ankle boot."""
    from PIL import Image

    from core.data import PACKAGED_FASHION_MNIST, fashion_mnist_test
    if not PACKAGED_FASHION_MNIST.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    images, labels = fashion_mnist_test(PACKAGED_FASHION_MNIST)
    pixels = np.asarray(Image.open(ROOT / "assets" / "ankle_boot.png"), dtype=np.float32) / 255
    assert int(labels[0]) == 9 and np.abs(pixels - images[0, 0].numpy()).max() <= 0.5 / 255 + 1e-6


def test_summary_text_shows_each_layers_receptive_field_and_jump(capsys):
    """LeNet: the first 5×5 convolution sees 5 pixels 1 apart; the 2×2 pool after it 6, 2 apart; a
    dense layer over the flattened map sees the whole input (and has no jump)."""
    assert main(["summary", "lenet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-4:] == ["field", "px", "jump", "px"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line.startswith("net.")}
    assert rows["net.0"][-2:] == ["5", "1"] and rows["net.0"][1] == "Conv2d"
    assert rows["net.3"][-2:] == ["6", "2"] and rows["net.3"][1].endswith("Pool2d")
    assert rows["net.9"][1] == "Linear" and rows["net.9"][-2:] == ["whole", "input"]
