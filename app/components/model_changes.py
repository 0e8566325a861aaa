"""A model named with changes typed as text (Compare's slots, Memory, Train: `growth_rate=12;
block_config=6,12`), and the input a preset's changed config takes."""
from __future__ import annotations

import json

from app import services

from .i18n import t


def parse_changes(text: str) -> dict:
    """'growth_rate=12; block_config=6,12' -> {'growth_rate': '12', 'block_config': '6,12'}.

    Values stay strings: core parses and validates them exactly as the CLI's --set does.
    """
    changes = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(part)
        changes[key.strip()] = value.strip()
    return changes


def resolve(model: str, text: str) -> dict:
    """core's resolved config of `model` with the changes in `text` (services.resolve's result, with
    "changes_json": the changes as core took them), or {"error": ...}: core's, or the text's when a
    part of it is not KEY=VALUE."""
    try:
        changes = json.dumps(parse_changes(text))
    except ValueError as exc:
        return {"error": {"message": t("compare.bad_changes", part=str(exc))}}
    resolved = services.resolve(model, changes)
    return resolved if "error" in resolved else {**resolved, "changes_json": changes}


def input_for(preset: dict, config: dict) -> tuple:
    """The preset's input, following in_channels and a classifier sized by input_size."""
    _, h, w = preset["input_shape"]
    side = config.get("input_size")
    return (config["in_channels"], side or h, side or w)
