"""Checkpoints: safetensors + metadata (the contract format), and safe loading of .pt/.pth state_dicts.

Nothing here unpickles code: .safetensors holds tensors only, and .pt/.pth go through
`torch.load(weights_only=True)`, which refuses any object that is not a tensor or a plain container.
"""
from __future__ import annotations

import datetime
import json
import pathlib
import pickle
import re
import zipfile
from dataclasses import dataclass

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from .analysis.trace import MAX_SIDE
from .architectures.densenet_layout import layer_key, layout_of_state
from .errors import ConfigError
from .registry import build_model, config_from_dict, default_input, get_family, preset_of
from .schema import ArchConfig

MAX_CHECKPOINT_BYTES = 200 * 2**20
# A state_dict is one zip entry per tensor (densenet264: ~1,600); more is no checkpoint of this app.
MAX_ARCHIVE_ENTRIES = 20_000
MAX_CONFIG_DEPTH = 8  # a config is a JSON object of numbers, strings and lists: depth 2
SUFFIXES = (".safetensors", ".pt", ".pth")
# A model without an input_size field takes any side; unless its metadata says otherwise, it was
# trained at its dataset's native side.
NATIVE_SIDE = {"digits": 8, "fashion-mnist": 28, "cifar10": 32}
# torchvision's legacy DenseNet keys: denselayer1.norm.1.weight -> denselayer1.norm1.weight
_LEGACY_DENSENET = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\."
    r"((?:[12])\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$")


class CheckpointError(ConfigError):
    def __init__(self, message: str):
        super().__init__("checkpoint", message)


@dataclass
class Checkpoint:
    config: ArchConfig
    state_dict: dict[str, torch.Tensor]
    metadata: dict[str, str]

    @property
    def family(self) -> str:
        return self.config.family

    @property
    def input_shape(self) -> list[int]:
        """The (C, H, W) its images are given at: what it was trained on (its metadata, where that
        fits the config), else its dataset's native side, else its config's default input."""
        config = self.config
        if "input_size" in config.field_names():
            return list(default_input(config))
        try:
            recorded = json.loads(self.metadata.get("input_shape", "null"))
        except json.JSONDecodeError:
            recorded = None
        if (isinstance(recorded, list) and len(recorded) == 3 and recorded[0] == config.in_channels
                and all(isinstance(v, int) and 1 <= v <= MAX_SIDE for v in recorded)):
            return recorded
        kind = self.metadata.get("dataset", "").partition(":")[0]
        if kind in NATIVE_SIDE:
            return [config.in_channels, NATIVE_SIDE[kind], NATIVE_SIDE[kind]]
        return list(default_input(config))

    def model(self) -> torch.nn.Module:
        """A fresh model holding these weights (strict: every key must match)."""
        model = build_model(self.config)
        load_weights(model, self.state_dict)
        return model.eval()


def save_checkpoint(path, model: torch.nn.Module, config: ArchConfig, dataset: str, epochs: int,
                    test_accuracy: float, arch: str | None = None,
                    input_shape: tuple | None = None, extra: dict[str, str] | None = None) -> None:
    metadata = {
        "arch": arch or preset_of(config) or config.family, "family": config.family,
        "config": config.to_json(), "dataset": dataset, "epochs": str(epochs),
        "test_accuracy": f"{test_accuracy:.4f}",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch_version": torch.__version__,
    }
    if input_shape is not None:  # what the model was trained on (C,H,W), for attribution inputs
        metadata["input_shape"] = json.dumps(list(input_shape))
    metadata.update(extra or {})  # e.g. how it was trained: precision and why
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    tmp = pathlib.Path(f"{path}.partial")
    save_file(state, str(tmp), metadata=metadata)
    tmp.replace(path)  # never leave a half-written checkpoint under the real name


def read_state_dict(path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a checkpoint file, checked for type and size, never unpickled."""
    path = pathlib.Path(path)
    if path.suffix not in SUFFIXES:
        raise CheckpointError(f"{path.name}: unsupported file type; give a .safetensors, .pt or .pth "
                              "checkpoint")
    if not path.exists():
        raise CheckpointError(f"{path} does not exist")
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path.name} is {size / 2**20:.0f} MB; the limit is "
                              f"{MAX_CHECKPOINT_BYTES // 2**20} MB")
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    return _read_torch(path), {"source": path.name}


def load_checkpoint(path) -> Checkpoint:
    """A checkpoint whose config comes from its metadata, or is inferred from DenseNet keys; its
    weights are checked against that architecture (built on the meta device) before any page uses
    them, so a partial state_dict is refused once, with its missing and unexpected keys."""
    state, metadata = read_state_dict(path)
    name = pathlib.Path(path).name
    if "config" not in metadata:
        config = infer_config(state, name)
    else:
        if _json_depth(metadata["config"]) > MAX_CONFIG_DEPTH:
            raise CheckpointError(f"{name}: metadata 'config' nests deeper than {MAX_CONFIG_DEPTH} "
                                  "levels; a config is one JSON object of field values (save the "
                                  "checkpoint again with core train or save_checkpoint)")
        if not (metadata.get("family") or metadata.get("arch")):
            raise CheckpointError(f"{name}: metadata has a 'config' but no 'family' or 'arch' to say whose "
                                  "(save the checkpoint again with core train or save_checkpoint)")
        try:
            values = json.loads(metadata["config"])
            family = metadata.get("family") or _family_from_arch(metadata["arch"])
        except (json.JSONDecodeError, TypeError) as exc:
            raise CheckpointError(f"{name}: metadata 'config' is not valid JSON ({exc})") from None
        if not isinstance(values, dict):
            raise CheckpointError(f"{name}: metadata 'config' is not a JSON object of config fields")
        config = config_from_dict(family, values)
    with torch.device("meta"):
        expected = build_model(config).state_dict()
    problem = weights_mismatch(expected, state) or _wrong_dtypes(expected, state)
    if problem:
        raise CheckpointError(f"{name}: the weights do not fit the architecture: {problem}")
    _check_numbers(name, metadata)
    return Checkpoint(config, state, metadata)


def _json_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), counted without parsing it: a
    text nested 100,000 deep makes json.loads raise RecursionError."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if escaped:  # the character after a backslash, inside a string
            escaped = False
        elif in_string:
            escaped = char == "\\"
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _wrong_dtypes(expected: dict, state: dict) -> str | None:
    """A tensor whose kind (floating point or integer) is not its parameter's: e.g. bool weights."""
    for key, tensor in expected.items():
        have, want = state[key].dtype, tensor.dtype
        if have.is_floating_point != want.is_floating_point or have == torch.bool:
            return (f"{key} holds {str(have).removeprefix('torch.')} values where the model has "
                    f"{str(want).removeprefix('torch.')}; save the model's own state_dict")
    return None


def _check_numbers(name: str, metadata: dict[str, str]) -> None:
    """The metadata numbers the pages show must be numbers (a hand-made file may say anything)."""
    rules = {"test_accuracy": (lambda v: 0 <= float(v) <= 1, "a number in [0, 1]"),
             "epochs": (lambda v: int(v) >= 0, "a whole number ≥ 0")}
    for key, (ok, rule) in rules.items():
        if key not in metadata:
            continue
        try:
            valid = ok(metadata[key])
        except ValueError:
            valid = False
        if not valid:
            shown = metadata[key][:40]
            raise CheckpointError(f"{name}: metadata '{key}' = {shown!r} is not {rule}; fix it or "
                                  "leave it out")


def _read_safetensors(path: pathlib.Path):
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        return load_file(str(path)), metadata
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} is not a valid safetensors file ({exc}); it may be "
                              "truncated or corrupt") from None


def _family_from_arch(arch: str) -> str:
    from .registry import PRESETS
    if arch in PRESETS:
        return PRESETS[arch].family
    return get_family(arch).name


def _check_torch_archive(path: pathlib.Path) -> None:
    """torch.save writes a zip of *stored* (uncompressed) entries; inspected before torch.load, so a
    deflated entry that would expand ~1000:1 (3 MB on disk, 3 GB in memory) is never read, and a file
    that is no such archive (a PNG renamed .pt) is called what it is."""
    if not zipfile.is_zipfile(path):
        with path.open("rb") as f:
            if f.read(4) == b"PK\x03\x04":  # a zip's start without its end: cut short
                raise CheckpointError(f"{path.name} cannot be read as a PyTorch file; it may be "
                                      "truncated or corrupt")
        raise CheckpointError(f"{path.name} is not a checkpoint: a .pt/.pth file is the zip archive "
                              "that torch.save writes; give one, or a .safetensors file")
    count = _zip_entry_count(path)
    if count > MAX_ARCHIVE_ENTRIES:
        raise CheckpointError(f"{path.name} holds {count:,} files; a state_dict saved by torch.save "
                              f"has one per tensor, and this server reads at most "
                              f"{MAX_ARCHIVE_ENTRIES:,}. Give the model's state_dict, or a "
                              ".safetensors file")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(f"{path.name} cannot be read as a PyTorch file ({exc}); it may be "
                              "truncated or corrupt") from None
    packed = [e.filename for e in entries if e.compress_type != zipfile.ZIP_STORED]
    if packed:
        raise CheckpointError(f"{path.name} was refused: it has compressed entries ({packed[0]}), "
                              "which torch.save never writes and which could expand far beyond the "
                              f"{MAX_CHECKPOINT_BYTES // 2**20} MB limit; save it again with torch.save")
    expanded = sum(e.file_size for e in entries)
    if expanded > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path.name} holds {expanded / 2**20:.0f} MB; the limit is "
                              f"{MAX_CHECKPOINT_BYTES // 2**20} MB")


def _zip_entry_count(path: pathlib.Path) -> int:
    """The entry count a zip's end record states, read without parsing its directory (0 when the
    record is not found: zipfile then says what is wrong)."""
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 65_557))  # the end record (22 bytes) and a comment of up to 65,535
        tail = f.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        return 0
    count = int.from_bytes(tail[end + 10:end + 12], "little")
    locator = tail.rfind(b"PK\x06\x07", 0, end)  # zip64: the count is in the zip64 end record
    if count == 0xFFFF and locator >= 0:
        record = int.from_bytes(tail[locator + 8:locator + 16], "little")
        f_start = size - len(tail)
        if f_start <= record <= size - 56:
            with path.open("rb") as f:
                f.seek(record + 32)
                count = int.from_bytes(f.read(8), "little")
    return count


def _read_torch(path: pathlib.Path) -> dict[str, torch.Tensor]:
    _check_torch_archive(path)
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message suggests weights_only=False: advice never to give for an upload.
        raise CheckpointError(f"{path.name} was refused: it contains Python objects other than "
                              "tensors, which could run code when loaded. Save a state_dict of "
                              "tensors or use .safetensors") from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name} cannot be read as a PyTorch file ({exc}); it may be "
                              "truncated or corrupt") from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or \
            not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
        raise CheckpointError(f"{path.name} does not hold a state_dict (a dict of name → tensor)")
    state = {k.removeprefix("module."): v for k, v in obj.items()}  # DataParallel prefix
    return {_LEGACY_DENSENET.sub(r"\1\2", k): v for k, v in state.items()}


def guess_family(state: dict[str, torch.Tensor], metadata: dict[str, str]) -> str:
    """The family a checkpoint holds, from its metadata or, failing that, its key names."""
    if metadata.get("family"):
        return metadata["family"]
    if layer_key(1, 1) in state:
        return "densenet"
    if "layer1.0.conv1.weight" in state:
        return "resnet"
    return "unknown architecture"


def infer_config(state: dict[str, torch.Tensor], label: str) -> ArchConfig:
    """Rebuild a config from a state_dict's shapes (torchvision-style DenseNet and ResNet keys)."""
    if layer_key(1, 1) in state:
        try:
            return _infer_densenet(state)
        except KeyError as exc:  # the rest of the missing keys are listed when the weights are checked
            raise CheckpointError(f"{label}: the weights do not fit a DenseNet: missing keys: "
                                  f"{exc.args[0]}") from None
    if guess_family(state, {}) == "resnet":
        raise CheckpointError(f"{label} looks like a ResNet; only DenseNet state_dicts without "
                              "metadata can be read (save with this tool to keep the config)")
    raise CheckpointError(f"{label}: architecture not recognised from its keys (first: "
                          f"{next(iter(state))}); save it with this tool so it carries its config")


def _infer_densenet(state) -> ArchConfig:
    blocks = layout_of_state(state)
    first = blocks[0]
    conv1 = state[layer_key(1, 1)]
    bottleneck = layer_key(1, 1, "conv2.weight") in state
    compression = 1.0 if first.transition is None else round(first.transition[1] / first.transition[0], 4)
    conv0 = state["features.conv0.weight"]
    values = dict(growth_rate=first.growth_rate, block_config=[b.layers for b in blocks],
                  num_init_features=conv0.shape[0],
                  bn_size=conv1.shape[0] // first.growth_rate if bottleneck else 0, compression=compression,
                  stem="imagenet" if "features.norm0.weight" in state else "cifar",
                  conv_bias="features.conv0.bias" in state, in_channels=conv0.shape[1],
                  num_classes=_classes(state), aggregation="osa" if first.one_shot else "dense")
    return config_from_dict("densenet", values)


def weights_mismatch(own: dict, state: dict) -> str | None:
    """What keeps `state` from loading strictly into a model whose state_dict is `own`: its missing,
    unexpected and mis-shaped keys (at most five of each named), or None when it fits."""
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f"{k} {list(state[k].shape)} vs {list(own[k].shape)}" for k in own
                  if k in state and state[k].shape != own[k].shape]
    if not (missing or unexpected or mismatched):
        return None

    def show(items):
        return ", ".join(items[:5]) + (f" (+{len(items) - 5} more)" if len(items) > 5 else "")
    parts = [f"missing keys: {show(missing)}" if missing else "",
             f"unexpected keys: {show(unexpected)}" if unexpected else "",
             f"shape mismatches: {show(mismatched)}" if mismatched else ""]
    return "; ".join(p for p in parts if p)


def _classes(state) -> int:
    """Classifier outputs from its weight, else its bias; without either the check of the weights
    that follows names both as missing (the count is then only a placeholder)."""
    for key in ("classifier.weight", "classifier.bias"):
        if key in state:
            return state[key].shape[0]
    return 1000


def load_weights(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Strict load with a message that lists what is missing, unexpected or mis-shaped."""
    problem = weights_mismatch(model.state_dict(), state)
    if problem:
        raise CheckpointError(f"the weights do not fit the architecture: {problem}")
    model.load_state_dict(state)
