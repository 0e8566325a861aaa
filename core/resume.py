"""A run's training state beside its checkpoint, so that a stopped run can go on where it stopped.

`X.safetensors` holds the weights in the contract format; `X.state.safetensors`, written after each
epoch with it, holds what else the next epoch needs: the optimizer's buffers, the schedule's state,
the random generators' states (the order of the batches, dropout), the recipe and the history so far.
It is safetensors again (tensors, plus JSON in its metadata): nothing is unpickled on resume.
"""
from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from .errors import ConfigError

# What must stay the same for the resumed run to be the run that stopped (epochs may grow).
RECIPE = ("dataset", "train_size", "batch_size", "optimizer", "lr", "momentum", "schedule",
          "weight_decay", "seed", "input_size", "precision", "compile")


def state_path(checkpoint) -> pathlib.Path:
    path = pathlib.Path(checkpoint)
    return path.with_name(f"{path.stem}.state.safetensors")


@dataclass
class TrainingState:
    epoch: int                 # epochs completed
    recipe: dict               # TrainSettings fields named in RECIPE
    history: list[dict]
    optimizer: dict            # an optimizer state_dict
    schedule: dict             # an LRScheduler state_dict
    batch_order: torch.Tensor  # the state of the generator that shuffles each epoch
    cpu_rng: torch.Tensor      # torch's global CPU generator (dropout)


def save(checkpoint, state: TrainingState) -> None:
    tensors = {"batch_order": state.batch_order, "cpu_rng": state.cpu_rng}
    scalars: dict[str, dict] = {}
    for index, buffers in state.optimizer["state"].items():
        for key, value in buffers.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{key}"] = value.detach().to("cpu").contiguous()
            else:
                scalars.setdefault(str(index), {})[key] = value
    metadata = {"epoch": str(state.epoch), "recipe": json.dumps(state.recipe),
                "history": json.dumps(state.history), "schedule": json.dumps(state.schedule),
                "param_groups": json.dumps(state.optimizer["param_groups"]),
                "optimizer_scalars": json.dumps(scalars)}
    path = state_path(checkpoint)
    tmp = path.with_name(path.name + ".partial")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)


def load(checkpoint) -> TrainingState:
    path = state_path(checkpoint)
    if not path.exists():
        raise ConfigError("resume", f"{path.name} is missing: a run can be resumed only from a "
                                    "checkpoint written by `core train` (version 2026-12 or later), "
                                    "which writes it beside each epoch's checkpoint")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        tensors = load_file(str(path))
        optimizer_state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("optimizer."):
                _, index, name = key.split(".", 2)
                optimizer_state.setdefault(int(index), {})[name] = value
        for index, values in json.loads(metadata["optimizer_scalars"]).items():
            optimizer_state.setdefault(int(index), {}).update(values)
        return TrainingState(
            epoch=int(metadata["epoch"]), recipe=json.loads(metadata["recipe"]),
            history=json.loads(metadata["history"]), schedule=json.loads(metadata["schedule"]),
            optimizer={"state": optimizer_state,
                       "param_groups": json.loads(metadata["param_groups"])},
            batch_order=tensors["batch_order"], cpu_rng=tensors["cpu_rng"])
    except (SafetensorError, OSError, KeyError, ValueError) as exc:
        raise ConfigError("resume", f"{path.name} is not a training state this version can read "
                                    f"({exc.__class__.__name__}: {exc}); start the run again without "
                                    "--resume") from None
