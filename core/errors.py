"""The one error type that core raises for bad user input.

Every message names what was wrong and how to fix it, so the CLI and the app can show it as-is
(no traceback): ``densenet.growth_rate = 0: must be ≥ 1; use an integer in [1, 256]``.

Errors also keep their structure, so a UI can say the same in its own language and apply the fix:
``code`` names the rule (``"low"``, ``"vgg.input_size"``, ``"input.too_small"``), ``args`` holds its
plain-JSON values, and ``suggestion`` the changes that make the input valid (config fields by name,
``input_shape`` as [C, H, W]); a property test applies every suggestion and checks it is accepted.
"""
from __future__ import annotations


class ConfigError(ValueError):
    """A rejected config, override, input shape or name.

    ``field`` is the dotted name of what was wrong (``densenet.growth_rate``, ``input_shape``,
    ``name``) so a UI can show the message beside the widget concerned.
    """

    def __init__(self, field: str, message: str, *, code: str | None = None,
                 args: dict | None = None, suggestion: dict | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code
        self.args_ = dict(args or {})
        self.suggestion = dict(suggestion or {})

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        """Plain data for a UI: the English message plus the structure it was made from."""
        return {"field": self.field, "message": self.message, "code": self.code,
                "args": self.args_, "suggestion": self.suggestion}


def field_error(family: str, name: str, value, rule: str, fix: str, *, code: str | None = None,
                args: dict | None = None, suggestion: dict | None = None) -> ConfigError:
    """The contract format: ``family.field = value: rule; fix``."""
    return ConfigError(f"{family}.{name}", f"{family}.{name} = {format_value(value)}: {rule}; {fix}",
                       code=code, args={"family": family, "name": name, "value": plain(value),
                                        **(args or {})},
                       suggestion=suggestion)


def plain(value):
    """A JSON-ready copy of a config value (tuples become lists)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def format_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
