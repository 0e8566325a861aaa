"""The checkpoint loader's rules one by one (core/checkpoints.py), each with its exact outcome: what a
state_dict without metadata is read as, which metadata is refused and with what message, how the
archive checks count. Fast (models on the meta device); `make mutation` runs them against mutants."""
import json
import zipfile

import pytest
import torch
from safetensors.torch import save_file

import core
from core.checkpoints import (
    Checkpoint,
    CheckpointError,
    _check_numbers,
    _json_depth,
    _zip_entry_count,
    guess_family,
    infer_config,
    load_checkpoint,
    read_state_dict,
    save_checkpoint,
    weights_mismatch,
)
from core.registry import build_model

# Not in the weights, so never inferred: left at their defaults in the configs below.
UNSEEN = {"drop_rate": 0.0, "memory_efficient": False}


def meta_state(config) -> dict:
    with torch.device("meta"):
        return build_model(config).state_dict()


DENSENETS = [
    core.get_config("densenet121"),  # bottleneck 4·k, ImageNet stem, compression 0.5
    core.get_config("densenet40_k12"),  # no bottleneck, CIFAR stem, no compression
    core.get_config("densenet_bc100_k12", in_channels=1, num_classes=10),
    core.get_config("d2l_densenet"),  # the book's: no bottleneck, conv bias
    core.get_config("densenet121", aggregation="osa", block_config=(3, 5), growth_rate=16),
    core.get_config("densenet40_k12", aggregation="osa", compression=0.75, num_init_features=20),
    core.get_config("densenet121", block_config=(1, 2), bn_size=2, conv_bias=True, num_classes=7),
    core.get_config("densenet40_k12", block_config=(3,)),  # one block: no transition, compression 1
]


# Plain test ids: mutmut names the tests it runs by id, and pytest finds no test by an id that holds
# JSON (quotes, brackets); the mutant then passed for "survived".
@pytest.mark.parametrize("config", DENSENETS, ids=[f"densenet{i}" for i in range(len(DENSENETS))])
def test_a_densenet_state_dict_without_metadata_is_read_as_the_config_that_made_it(config):
    """Every field the weights determine (blocks, k, k0, bn_size, compression, stem, bias, channels in
    and out, dense or one-shot aggregation) comes back exactly."""
    config = config.replace(**UNSEEN)
    inferred = infer_config(meta_state(config), "m.pth")
    assert inferred == config and inferred.to_json() == config.to_json()  # bn_size 4, not 4.0


def test_the_compression_is_the_first_transitions_channel_ratio_to_four_places():
    """96 channels into transition1 (k0 = 64, two layers of k = 16) out to 32: 0.3333."""
    config = core.get_config("densenet40_k12", block_config=(2, 2), growth_rate=16, num_init_features=64,
                             compression=0.34)
    assert infer_config(meta_state(config), "m.pth").compression == 0.3333


def test_one_layer_blocks_are_dense():
    """A block of one layer has no second layer to tell its aggregation by: dense, as the paper's."""
    config = core.get_config("densenet40_k12", block_config=(1, 1), **UNSEEN)
    assert infer_config(meta_state(config), "m.pth").aggregation == "dense"


def test_a_state_dict_the_rules_cannot_read_is_refused_with_what_it_lacks():
    state = meta_state(core.get_config("densenet121"))
    del state["features.conv0.weight"]
    with pytest.raises(CheckpointError) as refused:
        infer_config(state, "x.pth")
    assert str(refused.value) == ("x.pth: the weights do not fit a DenseNet: missing keys: "
                                  "features.conv0.weight")
    assert refused.value.field == "checkpoint"
    resnet = meta_state(core.get_config("resnet18"))
    with pytest.raises(CheckpointError) as refused:
        infer_config(resnet, "r.pth")
    assert str(refused.value) == ("r.pth looks like a ResNet; only DenseNet state_dicts without metadata "
                                  "can be read (save with this tool to keep the config)")
    with pytest.raises(CheckpointError) as refused:
        infer_config({"head.weight": torch.zeros(1), "body.weight": torch.zeros(1)}, "o.pt")
    assert str(refused.value) == ("o.pt: architecture not recognised from its keys (first: head.weight); "
                                  "save it with this tool so it carries its config")


def test_the_family_comes_from_metadata_then_from_the_keys():
    dense, res = meta_state(core.get_config("densenet121")), meta_state(core.get_config("resnet18"))
    assert guess_family(res, {"family": "vgg"}) == "vgg"
    assert guess_family(dense, {"family": ""}) == "densenet"
    assert guess_family(res, {}) == "resnet"
    assert guess_family({"conv.weight": torch.zeros(1)}, {}) == "unknown architecture"


@pytest.mark.parametrize("text, depth", [
    ("{}", 1), ('{"a": [1, [2, 3]], "b": {"c": []}}', 3), ('"[[["', 0), ('{"a": "[{"}', 1),
    ('{"a": "\\"[[", "b": [[]]}', 3), ('{"a": "\\\\", "b": [[[]]]}', 4), ("[][][]", 1), ("", 0),
    ('["]", [[1]]]', 3), ('{"a": "\\"[[[[[[[[[["}', 1), ('[[]][[[]]]', 3), ('{"a": "\\\\"}', 1),
    ("X[X]X", 1),  # other characters are no brackets
], ids=lambda value: None if isinstance(value, int) else f"text{len(value)}")
def test_json_depth_counts_brackets_outside_strings(text, depth):
    """Escaped quotes do not end a string (it counted the ten brackets after one); an escaped backslash
    does not escape the quote after it."""
    assert _json_depth(text) == depth


def test_a_mismatch_names_at_most_five_keys_of_each_kind():
    own = {f"k{i}": torch.zeros(2) for i in range(8)}
    state = {f"k{i}": torch.zeros(3 if i < 6 else 2) for i in range(2, 8)} | {f"x{i}": torch.zeros(1)
                                                                            for i in range(5)}
    assert weights_mismatch(own, state) == (
        "missing keys: k0, k1; unexpected keys: x0, x1, x2, x3, x4; "
        "shape mismatches: k2 [3] vs [2], k3 [3] vs [2], k4 [3] vs [2], k5 [3] vs [2]")
    state = {f"k{i}": torch.zeros(3) for i in range(8)}
    assert weights_mismatch(own, state) == (
        "shape mismatches: k0 [3] vs [2], k1 [3] vs [2], k2 [3] vs [2], k3 [3] vs [2], k4 [3] vs [2] "
        "(+3 more)")
    assert weights_mismatch(own, dict(own)) is None
    assert weights_mismatch(own, {}) == "missing keys: k0, k1, k2, k3, k4 (+3 more)"
    assert weights_mismatch(own, {"k6": own["k6"], "k7": own["k7"]}) == \
        "missing keys: k0, k1, k2, k3, k4 (+1 more)"
    assert weights_mismatch(own, {"k5": own["k5"], "k6": own["k6"], "k7": own["k7"]}) == \
        "missing keys: k0, k1, k2, k3, k4"


@pytest.mark.parametrize("metadata", [{}, {"test_accuracy": "0"}, {"test_accuracy": "1"},
                                      {"epochs": "0", "test_accuracy": "0.5"}, {"epochs": "1000"}])
def test_metadata_numbers_in_range_pass(metadata):
    _check_numbers("m.safetensors", metadata)


@pytest.mark.parametrize("key, value, rule", [
    ("test_accuracy", "1.0001", "a number in [0, 1]"), ("test_accuracy", "-0.01", "a number in [0, 1]"),
    ("epochs", "-1", "a whole number ≥ 0"), ("epochs", "2.5", "a whole number ≥ 0"),
    ("epochs", "x" * 60, "a whole number ≥ 0"),
], ids=["accuracy-high", "accuracy-low", "epochs-negative", "epochs-fraction", "epochs-long"])
def test_metadata_numbers_out_of_range_are_refused_naming_the_key(key, value, rule):
    with pytest.raises(CheckpointError) as refused:
        _check_numbers("m.safetensors", {key: value})
    assert str(refused.value) == (f"m.safetensors: metadata '{key}' = {value[:40]!r} is not {rule}; fix it "
                                  "or leave it out")


def test_save_writes_the_contracts_metadata_and_no_partial_file(tmp_path):
    config = core.get_config("d2l_densenet", block_config=(1, 1))
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, build_model(config), config, "digits", 2, 0.12345, input_shape=(1, 8, 8),
                    extra={"precision": "fp32"})
    metadata = load_checkpoint(path).metadata
    assert {k: metadata[k] for k in ("arch", "family", "dataset", "epochs", "test_accuracy", "input_shape",
                                     "precision")} == {
        "arch": "densenet", "family": "densenet", "dataset": "digits", "epochs": "2",
        "test_accuracy": "0.1235", "input_shape": "[1, 8, 8]", "precision": "fp32"}
    assert json.loads(metadata["config"]) == config.to_dict()
    assert metadata["torch_version"] == torch.__version__ and metadata["created"].endswith("+00:00")
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    save_checkpoint(path, build_model(config), config, "digits", 2, 0.5, arch="mine")
    metadata = load_checkpoint(path).metadata
    assert "input_shape" not in metadata and metadata["arch"] == "mine"
    preset = core.get_config("d2l_lenet_bn")  # a preset's own config is saved under its name
    save_checkpoint(path, build_model(preset), preset, "digits", 2, 0.5)
    assert load_checkpoint(path).metadata["arch"] == "d2l_lenet_bn"


def test_classes_come_from_the_classifier_weight_else_its_bias():
    state = meta_state(core.get_config("densenet40_k12", num_classes=7))
    without_bias = {k: v for k, v in state.items() if k != "classifier.bias"}
    assert infer_config(without_bias, "m.pth").num_classes == 7
    del state["classifier.weight"]
    with pytest.raises(CheckpointError, match="missing keys: classifier.weight"):
        load_checkpoint(_saved_pth(state))
    assert infer_config(state, "m.pth").num_classes == 7


def _saved_pth(state) -> str:
    import tempfile
    path = tempfile.mkdtemp() + "/m.pth"
    torch.save({k: torch.zeros(v.shape, dtype=v.dtype) for k, v in state.items()}, path)
    return path


def test_the_input_shape_is_the_recorded_one_where_it_fits_else_the_datasets(tmp_path):
    config = core.get_config("densenet40_k12", in_channels=1)
    shapes = {"[1, 28, 28]": [1, 28, 28], "[3, 28, 28]": [1, 8, 8], "[1, 28]": [1, 8, 8],
              "[1, 0, 28]": [1, 8, 8], "[1, 28.0, 28]": [1, 8, 8], "nonsense": [1, 8, 8]}
    for recorded, shown in shapes.items():
        assert Checkpoint(config, {}, {"input_shape": recorded, "dataset": "digits"}).input_shape == shown
    assert Checkpoint(config, {}, {"dataset": "cifar10:/data"}).input_shape == [1, 32, 32]
    assert Checkpoint(config, {}, {}).input_shape == list(core.default_input(config))


def test_the_end_record_count_is_read_after_a_comment_and_zip64(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(3):
            archive.writestr(f"e{i}", b"x")
        archive.comment = b"PK" + b"c" * 65_000  # the longest comments push the record back
    assert _zip_entry_count(path) == 3
    path.write_bytes(path.read_bytes()[:-65_030])  # the end record cut off
    assert _zip_entry_count(path) == 0


def test_a_safetensors_file_with_metadata_but_no_config_is_inferred(tmp_path):
    config = core.get_config("densenet40_k12", block_config=(2, 2), **UNSEEN)
    path = tmp_path / "m.safetensors"
    save_file({k: torch.zeros(v.shape, dtype=v.dtype) for k, v in meta_state(config).items()}, str(path),
              metadata={"dataset": "digits"})
    assert load_checkpoint(path).config == config


def _pt(tmp_path, obj, name="w.pt") -> str:
    path = tmp_path / name
    torch.save(obj, path)
    return path


def _zipped(tmp_path, entries: dict, compression=zipfile.ZIP_STORED, name="z.pt") -> str:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return path


def _safetensors(tmp_path, dtype=None, **metadata) -> str:
    """d2l_lenet_bn's weights (as `dtype`, else their own) with this metadata."""
    config = core.get_config("d2l_lenet_bn")
    path = tmp_path / "m.safetensors"
    save_file({k: torch.zeros(v.shape, dtype=dtype or v.dtype) for k, v in meta_state(config).items()},
              str(path), metadata=metadata)
    return path


# Each refusal, made, with the whole message a student reads: what was wrong and what to do instead.
REFUSALS = {
    "suffix": (lambda d: d / "weights.pkl",
               "weights.pkl: unsupported file type; give a .safetensors, .pt or .pth checkpoint"),
    "missing": (lambda d: d / "gone.pt", "{dir}/gone.pt does not exist"),
    "not-a-zip": (lambda d: (d / "p.pt").write_bytes(b"\x89PNG" + b"0" * 100) and d / "p.pt",
                  "p.pt is not a checkpoint: a .pt/.pth file is the zip archive that torch.save writes; "
                  "give one, or a .safetensors file"),
    "cut-short": (lambda d: (d / "c.pt").write_bytes(b"PK\x03\x04" + b"0" * 100) and d / "c.pt",
                  "c.pt cannot be read as a PyTorch file; it may be truncated or corrupt"),
    "deflated": (lambda d: _zipped(d, {"a/data.pkl": b"x" * 100, "a/data/0": b"y" * 100},
                                   zipfile.ZIP_DEFLATED),
                 "z.pt was refused: it has compressed entries (a/data.pkl), which torch.save never writes "
                 "and which could expand far beyond the 200 MB limit; save it again with torch.save"),
    "pickle": (lambda d: _pt(d, {"w": torch.zeros(1), "f": zipfile.ZipInfo("x")}),
               "w.pt was refused: it contains Python objects other than tensors, which could run code when "
               "loaded. Save a state_dict of tensors or use .safetensors"),
    "a-list": (lambda d: _pt(d, [torch.zeros(1)]),
               "w.pt does not hold a state_dict (a dict of name → tensor)"),
    "empty": (lambda d: _pt(d, {}), "w.pt does not hold a state_dict (a dict of name → tensor)"),
    "a-number": (lambda d: _pt(d, {"w": 3}), "w.pt does not hold a state_dict (a dict of name → tensor)"),
    "a-key": (lambda d: _pt(d, {1: torch.zeros(1)}),
              "w.pt does not hold a state_dict (a dict of name → tensor)"),
    "deep-config": (lambda d: _safetensors(d, config="[" * 9 + "]" * 9),
                    "m.safetensors: metadata 'config' nests deeper than 8 levels; a config is one JSON "
                    "object of field values (save the checkpoint again with core train or save_checkpoint)"),
    "bad-json": (lambda d: _safetensors(d, config="{", family="lenet"),
                 "m.safetensors: metadata 'config' is not valid JSON (Expecting property name enclosed in "
                 "double quotes: line 1 column 2 (char 1))"),
    "not-an-object": (lambda d: _safetensors(d, config="[1]", family="lenet"),
                      "m.safetensors: metadata 'config' is not a JSON object of config fields"),
    "accuracy": (lambda d: _safetensors(d, config="{}", family="lenet", test_accuracy="2"),
                 "m.safetensors: metadata 'test_accuracy' = '2' is not a number in [0, 1]; fix it or leave "
                 "it out"),
    "densenet-without-conv0": (lambda d: _pt(d, {k: torch.zeros(v.shape) for k, v in meta_state(
        core.get_config("densenet40_k12", block_config=(1,))).items() if k != "features.conv0.weight"}),
        "w.pt: the weights do not fit a DenseNet: missing keys: features.conv0.weight"),
    "integer-weights": (lambda d: _safetensors(d, config="{}", family="lenet", dtype=torch.int64),
                        "m.safetensors: the weights do not fit the architecture: net.0.weight holds int64 "
                        "values where the model has float32; save the model's own state_dict"),
    "corrupt-safetensors": (lambda d: (d / "c.safetensors").write_bytes(b"\x10" + bytes(20)) and
                            d / "c.safetensors", "c.safetensors is not a valid safetensors file ("),
    "wrong-net": (lambda d: _safetensors(d, config="{}", family="nin"),
                  "m.safetensors: the weights do not fit the architecture: missing keys: "),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_each_refusal_says_what_was_wrong_and_what_to_do(tmp_path, case):
    make, message = REFUSALS[case]
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(make(tmp_path))
    assert refused.value.field == "checkpoint"
    shown, expected = str(refused.value), message.replace("{dir}", str(tmp_path))
    whole = case not in ("wrong-net", "corrupt-safetensors")  # then the start only
    assert shown == expected if whole else shown.startswith(expected)
    if case == "corrupt-safetensors":
        assert shown.endswith("); it may be truncated or corrupt")


def test_a_config_nested_eight_deep_is_read_as_json_and_judged_by_its_family(tmp_path):
    with pytest.raises(core.ConfigError) as refused:
        load_checkpoint(_safetensors(tmp_path, config='{"a": [[[[[[[1]]]]]]]}', family="lenet"))
    assert str(refused.value).startswith("lenet has no field 'a': valid fields are ")


def test_a_file_past_the_size_limit_is_refused_with_both_sizes(tmp_path, monkeypatch):
    monkeypatch.setattr("core.checkpoints.MAX_CHECKPOINT_BYTES", 2**20)
    path = tmp_path / "big.pt"
    path.write_bytes(b"0" * (3 * 2**20))
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(path)
    assert str(refused.value) == "big.pt is 3 MB; the limit is 1 MB"
    path.write_bytes(b"0" * 2**20)  # at the limit: read, and refused for what it is
    with pytest.raises(CheckpointError, match="is not a checkpoint"):
        load_checkpoint(path)


def test_a_torch_file_that_fails_to_load_says_so_with_torchs_reason(tmp_path):
    whole = _pt(tmp_path, {"w": torch.zeros(3)}, "whole.pt")
    with zipfile.ZipFile(whole) as archive:  # its tensor's data left out
        entries = {e.filename: archive.read(e) for e in archive.infolist() if "/data/" not in e.filename}
    path = _zipped(tmp_path, entries)
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(path)
    message = str(refused.value)
    assert message.startswith("z.pt cannot be read as a PyTorch file (") and \
        message.endswith("); it may be truncated or corrupt")


def test_state_dicts_are_read_in_the_forms_torch_users_save_them(tmp_path):
    """A bare state_dict, one under "state_dict" (a training script's checkpoint), DataParallel's
    "module." prefix, torchvision's legacy DenseNet keys (norm.1 for norm1): all the same weights."""
    config = core.get_config("densenet40_k12", block_config=(2, 2), **UNSEEN)
    state = {k: torch.zeros(v.shape, dtype=v.dtype) for k, v in meta_state(config).items()}
    legacy = {k.replace("denselayer1.norm1", "denselayer1.norm.1"): v for k, v in state.items()}
    assert legacy != state
    forms = {"bare": state, "nested": {"state_dict": state, "epoch": 3},
             "parallel": {f"module.{k}": v for k, v in state.items()}, "legacy": legacy}
    for form, saved in forms.items():
        path = _pt(tmp_path, saved, f"{form}.pth")
        read, metadata = read_state_dict(path)
        assert read.keys() == state.keys() and metadata == {"source": f"{form}.pth"}, form
        assert load_checkpoint(path).config == config


def test_a_config_without_family_takes_it_from_arch(tmp_path):
    assert load_checkpoint(_safetensors(tmp_path, config="{}", arch="d2l_lenet_bn")).family == "lenet"
    assert load_checkpoint(_safetensors(tmp_path, config="{}", arch="lenet")).family == "lenet"
    assert load_checkpoint(_safetensors(tmp_path, config="{}", family="lenet", arch="nin")).family == "lenet"
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(_safetensors(tmp_path, config="{}"))
    assert str(refused.value) == ("m.safetensors: metadata has a 'config' but no 'family' or 'arch' to say "
                                  "whose (save the checkpoint again with core train or save_checkpoint)")
    with pytest.raises(core.ConfigError, match="unknown family 'vgg19x'"):
        load_checkpoint(_safetensors(tmp_path, config="{}", arch="vgg19x"))


# ---- the zip end record, read from raw bytes (what a crafted upload controls) ----------------------
def end_record(count: int, comment: bytes = b"") -> bytes:
    """A zip's end-of-central-directory record: its entry count at bytes 10-11."""
    return (b"PK\x05\x06" + bytes(6) + count.to_bytes(2, "little") + bytes(8)
            + len(comment).to_bytes(2, "little") + comment)


def locator(record_at: int) -> bytes:
    """A zip64 end-record locator pointing at `record_at`."""
    return b"PK\x06\x07" + bytes(4) + record_at.to_bytes(8, "little") + (1).to_bytes(4, "little")


def zip64_record(count: int) -> bytes:
    """A zip64 end record (56 bytes): its entry count at bytes 32-39."""
    return b"PK\x06\x06" + bytes(28) + count.to_bytes(8, "little") + bytes(16)


def count_of(tmp_path, data: bytes) -> int:
    path = tmp_path / "z.pt"
    path.write_bytes(data)
    return _zip_entry_count(path)


def test_the_count_is_the_last_end_records(tmp_path):
    body = b"\0" * 100 + end_record(9)[:22] + b"\0" * 50  # the signature inside an entry's data
    assert count_of(tmp_path, body + end_record(3)) == 3
    assert count_of(tmp_path, body + end_record(3, comment=b"x" * 1000)) == 3
    assert count_of(tmp_path, end_record(3)) == 3  # an empty archive is its end record alone
    assert count_of(tmp_path, end_record(3)[:12]) == 0  # cut inside the record: zipfile says what is wrong
    assert count_of(tmp_path, body + end_record(3) + end_record(7)[:12]) == 0


def test_a_zip64_count_is_read_from_the_record_the_last_locator_names(tmp_path):
    record = zip64_record(70_000)
    assert count_of(tmp_path, record + locator(0) + end_record(0xFFFF)) == 70_000  # record at byte 0
    assert count_of(tmp_path, b"\0" * 64 + record + locator(64) + end_record(0xFFFF)) == 70_000
    # a stray locator earlier, another in the comment: the one just before the end record counts
    data = locator(3) + b"\0" * 40 + record + locator(60) + end_record(0xFFFF, comment=locator(1))
    assert count_of(tmp_path, data) == 70_000
    # the locator first in the file, its record after it
    assert count_of(tmp_path, locator(20) + record + end_record(0xFFFF)) == 70_000
    # a count below 0xFFFF is the count, whatever locator precedes it
    assert count_of(tmp_path, record + locator(0) + end_record(5)) == 5


def test_a_zip64_record_must_lie_inside_the_file(tmp_path):
    """Its 56 bytes end at most at the file's end: a record said to start later is not read (the
    0xFFFF of the end record stands), one at the last possible byte is."""
    head = b"\0" * 30
    tail = locator(0) + end_record(0xFFFF)
    size = len(head) + len(tail)
    last = head + locator(size - 56) + end_record(0xFFFF)
    expected = int.from_bytes(last[size - 24:size - 16], "little")
    assert count_of(tmp_path, last) == expected != 0xFFFF
    assert count_of(tmp_path, head + locator(size - 55) + end_record(0xFFFF)) == 0xFFFF
    # nor is one before the last 65,557 bytes (the end record and the longest comment), which are all
    # that is read
    far = zip64_record(70_000) + b"\0" * 65_460 + locator(0) + end_record(0xFFFF)
    assert len(far) == 65_558 and count_of(tmp_path, far) == 0xFFFF


def test_the_archive_entry_limit_is_inclusive_and_its_message_whole(tmp_path, monkeypatch):
    monkeypatch.setattr("core.checkpoints.MAX_ARCHIVE_ENTRIES", 3)
    with pytest.raises(CheckpointError, match="does not hold a state_dict|cannot be read"):
        load_checkpoint(_zipped(tmp_path, {f"a/{i}": b"" for i in range(3)}))  # 3: past the count check
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(_zipped(tmp_path, {f"a/{i}": b"" for i in range(4)}))
    assert str(refused.value) == ("z.pt holds 4 files; a state_dict saved by torch.save has one per tensor, "
                                  "and this server reads at most 3. Give the model's state_dict, or a "
                                  ".safetensors file")


def test_a_zip_whose_directory_is_broken_is_called_truncated_or_corrupt(tmp_path):
    path = _zipped(tmp_path, {"a/data.pkl": b"x"})
    data = path.read_bytes()
    path.write_bytes(data.replace(b"PK\x01\x02", b"XX\x01\x02"))  # the central directory's entry
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(path)
    assert str(refused.value).startswith("z.pt cannot be read as a PyTorch file (") and \
        str(refused.value).endswith("); it may be truncated or corrupt")
