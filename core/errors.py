"""The one error type that core raises for bad user input.

Every message names what was wrong and how to fix it, so the CLI and the app can show it as-is
(no traceback): ``densenet.growth_rate = 0: must be ≥ 1; use a value in [1, 256]``.
"""
from __future__ import annotations


class ConfigError(ValueError):
    """A rejected config, override, input shape or name.

    ``field`` is the dotted name of what was wrong (``densenet.growth_rate``, ``input_shape``,
    ``name``) so a UI can show the message beside the widget concerned.
    """

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message


def field_error(family: str, name: str, value, rule: str, fix: str) -> ConfigError:
    """The contract format: ``family.field = value: rule; fix``."""
    return ConfigError(f"{family}.{name}", f"{family}.{name} = {format_value(value)}: {rule}; {fix}")


def format_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
