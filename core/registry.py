"""The one registry of architecture families and named presets.

A family = a typed config class + the builder from core.architectures. A preset = a family plus
overrides, a default input shape, and where its reference parameter count comes from.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from .errors import ConfigError
from .schema import ArchConfig


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    config_cls: type[ArchConfig]
    architecture: ModuleType  # standalone module whose source `export --format code` ships
    builder: Callable


@dataclass(frozen=True)
class Preset:
    name: str
    family: str
    overrides: dict = field(default_factory=dict)
    source: str = ""  # "torchvision" | "d2l" | "paper"
    description: str = ""
    input_size: int | None = None  # H = W of the default input where it differs from the family's


FAMILIES: dict[str, Family] = {}
PRESETS: dict[str, Preset] = {}


def register_family(name, title, config_cls, architecture, builder) -> None:
    if name in FAMILIES:
        raise ValueError(f"family '{name}' is already registered")
    config_cls.family = name
    FAMILIES[name] = Family(name, title, config_cls, architecture, builder)


def register_preset(name, family, source, description, input_size=None, **overrides) -> None:
    if name in PRESETS:
        raise ValueError(f"preset '{name}' is already registered")
    if family not in FAMILIES:
        raise ValueError(f"preset '{name}' names unknown family '{family}'")
    FAMILIES[family].config_cls.create(overrides)  # a preset must itself be valid
    PRESETS[name] = Preset(name, family, overrides, source, description, input_size)


def unknown_name(kind: str, name: str, valid) -> ConfigError:
    valid = list(valid)
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.5)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return ConfigError("name", f"unknown {kind} '{name}'.{hint} Valid names: {', '.join(valid)}")


def list_presets() -> list[str]:
    return list(PRESETS)


def list_families() -> list[str]:
    return list(FAMILIES)


def get_family(name: str) -> Family:
    if name not in FAMILIES:
        raise unknown_name("family", name, FAMILIES)
    return FAMILIES[name]


def get_config(name: str, **overrides) -> ArchConfig:
    """A validated config from a preset or family name plus field overrides."""
    if name in PRESETS:
        preset = PRESETS[name]
        return FAMILIES[preset.family].config_cls.create({**preset.overrides, **overrides})
    if name in FAMILIES:
        return FAMILIES[name].config_cls.create(overrides)
    raise unknown_name("model", name, dict.fromkeys([*PRESETS, *FAMILIES]))  # alexnet is both


def config_from_dict(family: str, values: dict) -> ArchConfig:
    return get_family(family).config_cls.create(values)


def resolve(name_or_config, **overrides) -> ArchConfig:
    if isinstance(name_or_config, ArchConfig):
        return name_or_config.replace(**overrides) if overrides else name_or_config
    return get_config(name_or_config, **overrides)


def build_model(name_or_config, **overrides):
    """A freshly initialised nn.Module (on the current default device)."""
    config = resolve(name_or_config, **overrides)
    return FAMILIES[config.family].builder(**config.to_dict())


def preset_of(config: ArchConfig) -> str | None:
    """The preset name whose config equals this one, if any (for labels and references)."""
    for preset in PRESETS.values():
        if preset.family == config.family and get_config(preset.name) == config:
            return preset.name
    return None


def default_input(name_or_config, **overrides) -> tuple[int, int, int]:
    """(C, H, W) a preset is meant for (the seeds' sizes for d2l presets, kept under overrides),
    else the family's."""
    config = resolve(name_or_config, **overrides)
    preset = PRESETS.get(name_or_config) if isinstance(name_or_config, str) else None
    if preset is not None and preset.input_size and "input_size" not in config.field_names():
        return (config.in_channels, preset.input_size, preset.input_size)
    return config.default_input()
