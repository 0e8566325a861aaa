"""CNN Architecture Explorer core: model zoo, analysis engine, checkpoints (no UI code)."""
from . import families as _families  # noqa: F401  (registers every family and preset)
from .errors import ConfigError
from .registry import (
                       FAMILIES,
                       PRESETS,
                       build_model,
                       default_input,
                       get_config,
                       get_family,
                       list_families,
                       list_presets,
                       resolve,
)

__all__ = ["ConfigError", "FAMILIES", "PRESETS", "build_model", "default_input", "get_config",
           "get_family", "list_families", "list_presets", "resolve"]
