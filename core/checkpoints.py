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
from dataclasses import dataclass

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from .errors import ConfigError
from .registry import build_model, config_from_dict, get_family, preset_of
from .schema import ArchConfig

MAX_CHECKPOINT_BYTES = 200 * 2**20
SUFFIXES = (".safetensors", ".pt", ".pth")
# torchvision's legacy DenseNet keys: denselayer1.norm.1.weight -> denselayer1.norm1.weight
_LEGACY_DENSENET = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


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

    def model(self) -> torch.nn.Module:
        """A fresh model holding these weights (strict: every key must match)."""
        model = build_model(self.config)
        load_weights(model, self.state_dict)
        return model.eval()


def save_checkpoint(path, model: torch.nn.Module, config: ArchConfig, dataset: str, epochs: int,
                    test_accuracy: float, arch: str | None = None,
                    input_shape: tuple | None = None) -> None:
    metadata = {
        "arch": arch or preset_of(config) or config.family, "family": config.family,
        "config": config.to_json(), "dataset": dataset, "epochs": str(epochs),
        "test_accuracy": f"{test_accuracy:.4f}",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch_version": torch.__version__,
    }
    if input_shape is not None:  # what the model was trained on (C,H,W), for attribution inputs
        metadata["input_shape"] = json.dumps(list(input_shape))
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
    """A checkpoint whose config comes from its metadata, or is inferred from DenseNet keys."""
    state, metadata = read_state_dict(path)
    if "config" not in metadata:
        return Checkpoint(infer_config(state, pathlib.Path(path).name), state, metadata)
    try:
        values = json.loads(metadata["config"])
        family = metadata.get("family") or _family_from_arch(metadata.get("arch", ""))
    except (json.JSONDecodeError, TypeError) as exc:
        raise CheckpointError(f"{pathlib.Path(path).name}: metadata 'config' is not valid JSON "
                              f"({exc})") from None
    return Checkpoint(config_from_dict(family, values), state, metadata)


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


def _read_torch(path: pathlib.Path) -> dict[str, torch.Tensor]:
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
    if "features.denseblock1.denselayer1.conv1.weight" in state:
        return "densenet"
    if "layer1.0.conv1.weight" in state:
        return "resnet"
    return "unknown architecture"


def infer_config(state: dict[str, torch.Tensor], label: str) -> ArchConfig:
    """Rebuild a config from a state_dict's shapes (torchvision-style DenseNet and ResNet keys)."""
    if "features.denseblock1.denselayer1.conv1.weight" in state:
        return _infer_densenet(state)
    if guess_family(state, {}) == "resnet":
        raise CheckpointError(f"{label} looks like a ResNet; only DenseNet state_dicts without "
                              "metadata can be read (save with this tool to keep the config)")
    raise CheckpointError(f"{label}: architecture not recognised from its keys (first: "
                          f"{next(iter(state))}); save it with this tool so it carries its config")


def _infer_densenet(state) -> ArchConfig:
    blocks = []
    b = 1
    while f"features.denseblock{b}.denselayer1.conv1.weight" in state:
        layers = 0
        while f"features.denseblock{b}.denselayer{layers + 1}.conv1.weight" in state:
            layers += 1
        blocks.append(layers)
        b += 1
    conv0 = state["features.conv0.weight"]
    first = state["features.denseblock1.denselayer1.conv1.weight"]
    bottleneck = "features.denseblock1.denselayer1.conv2.weight" in state
    growth = state["features.denseblock1.denselayer1.conv2.weight" if bottleneck else
                   "features.denseblock1.denselayer1.conv1.weight"].shape[0]
    compression = 1.0
    if "features.transition1.conv.weight" in state:
        t = state["features.transition1.conv.weight"]
        compression = round(t.shape[0] / t.shape[1], 4)
    values = dict(growth_rate=growth, block_config=blocks, num_init_features=conv0.shape[0],
                  bn_size=first.shape[0] // growth if bottleneck else 0, compression=compression,
                  stem="imagenet" if "features.norm0.weight" in state else "cifar",
                  conv_bias="features.conv0.bias" in state, in_channels=conv0.shape[1],
                  num_classes=state["classifier.weight"].shape[0])
    return config_from_dict("densenet", values)


def load_weights(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Strict load with a message that lists what is missing, unexpected or mis-shaped."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
                  if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or mismatched:
        def show(items):
            return ", ".join(items[:5]) + (f" (+{len(items) - 5} more)" if len(items) > 5 else "")
        parts = [f"missing keys: {show(missing)}" if missing else "",
                 f"unexpected keys: {show(unexpected)}" if unexpected else "",
                 f"shape mismatches: {show(mismatched)}" if mismatched else ""]
        raise CheckpointError("the weights do not fit the architecture: "
                              + "; ".join(p for p in parts if p))
    model.load_state_dict(state)
