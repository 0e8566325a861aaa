"""Errors keep their structure to the UI: every rule core raises has its Chinese text, made from the
code and args (the structure is what these tests check), and every value is escaped for markdown."""
import pathlib
import re

import pytest

import core
from app.components import error_text
from core.analysis import analyze

CORE = pathlib.Path(core.__file__).parent


def raised_codes() -> set[str]:
    """Every error code written in core's source: literal codes, and family rules (`self.error`
    with code="x" in core/families/<family>.py is "<family>.x")."""
    codes = set()
    for path in CORE.rglob("*.py"):
        text = path.read_text()
        found = set(re.findall(r'code="([\w.]+)"', text))
        if path.parent.name == "families":
            found = {f"{path.stem}.{c}" for c in found}
        codes |= found
    return codes


GENERIC = {"kind", "choice", "min_len", "max_len", "nan", "low", "high"}  # written as variables


def chinese(error: core.ConfigError, monkeypatch) -> str:
    monkeypatch.setattr(error_text, "language", lambda: "zh")
    return error_text.localized(error.to_dict())


def test_every_code_core_raises_is_translated():
    codes = raised_codes() | GENERIC
    assert not [c for c in codes if not error_text.translated(c)]
    assert {"vgg.input_size", "densenet.compression", "input.too_small", "input.classifier_size"} <= codes


@pytest.mark.parametrize("name, overrides, shape, zh", [
    ("densenet121", {"growth_rate": 0}, None, "densenet.growth_rate = 0：必须 ≥ 1；请用[1, 256] 内的整数"),
    ("densenet121", {"stem": "weird"}, None, "必须是 imagenet、cifar 之一"),
    ("densenet121", {"block_config": "6,x"}, None, "不是逗号分隔的整数列表"),
    ("densenet121", {"num_init_features": 1, "growth_rate": 1, "block_config": "1,1", "compression": 0.1},
     None, "使过渡层 1 的 2 个通道一个不剩；请用 compression ≥ 0.5"),
    ("d2l_vgg11", {"input_size": 8}, (1, 8, 8), "被减半 5 次后什么也不剩"),
    ("d2l_alexnet", {}, (1, 16, 16), "请用 224×224 的输入或设置 input_size ≥ 65"),
    ("d2l_nin", {}, (1, 16, 16), "对 d2l_nin 来说太小"),
    ("resnet18", {}, (1, 32, 32), "输入有 1 个通道，但 in_channels = 3"),
])
def test_core_errors_read_in_chinese(name, overrides, shape, zh, monkeypatch):
    with pytest.raises(core.ConfigError) as caught:
        analyze(core.get_config(name, **overrides), shape or core.default_input(name))
    error = caught.value
    assert error.code and error.suggestion
    text = chinese(error, monkeypatch)
    assert zh in text and text != error.message
    assert not re.search(r"[a-z]{4,} (is|must|use|give)\b", text)  # no English rule left in it


def test_error_without_a_code_stays_in_english(monkeypatch):
    monkeypatch.setattr(error_text, "language", lambda: "zh")
    assert error_text.localized({"message": "not a checkpoint", "code": None}) == "not a checkpoint"


@pytest.mark.parametrize("value", ["![x](http://HOST/t.png)", "[Click](https://example.com)",
                                   "<img src=x onerror=alert(1)>", "$\\LaTeX$", "**bold** _it_ `code`",
                                   "www.example.com", "# heading"])
def test_escaped_values_are_literal_text(value):
    escaped = error_text.escape(value)
    # No markdown construct survives: every special character is backslash-escaped, and removing the
    # escapes gives the value back.
    assert re.sub(r"\\(.)", r"\1", escaped).replace(error_text.WORD_JOINER, "") == value
    assert not re.search(r"(?<!\\)[\[\]()<>!*_`$#]", escaped)
    assert "://" not in escaped and "www." not in escaped  # no bare URL left to be linked
