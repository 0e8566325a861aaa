"""The UI's text lives in gettext catalogues (app/locale/): the template messages.pot holds the English
source, each <language>.po a translation. A translator edits those files only; these tests hold them to
what the code asks for."""
import ast
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.components import i18n

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = sorted(i18n.LOCALE.glob("*.po"))


def entries(path: Path) -> dict[str, tuple[str, str]]:
    with path.open("rb") as file:
        return {m.context: (m.id, m.string) for m in read_po(file) if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_there_is_a_chinese_translation_and_each_language_names_itself():
    assert [p.name for p in TRANSLATIONS] == ["zh.po"]
    assert i18n.LANGUAGES == {"en": "English", "zh": "中文"}


@pytest.mark.parametrize("po", TRANSLATIONS, ids=lambda p: p.name)
def test_a_translation_has_every_key_of_the_template_with_its_english_and_its_fields(po):
    template, translation = entries(i18n.LOCALE / "messages.pot"), entries(po)
    assert all(key for key in template), "every message has its key as msgctxt"
    assert list(translation) == list(template)  # the same keys, in the template's order
    for key, (english, _) in template.items():
        source, text = translation[key]
        assert source == english, f"{po.name}: {key}'s msgid is not the template's English"
        assert text, f"{po.name}: {key} is not translated"
        assert fields(text) == fields(english), f"{po.name}: {key} has other {{fields}} than the English"


def _asked_keys() -> set[str]:
    """Every key app/ passes to t() as a literal."""
    keys = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                keys.add(node.args[0].value)
    return keys


def test_every_key_the_code_asks_for_is_in_the_catalogue():
    asked = _asked_keys()
    assert len(asked) > 200  # the scan finds the calls
    assert asked - set(i18n.STRINGS) == set()


def test_t_fills_the_fields_in_the_sessions_language(monkeypatch):
    monkeypatch.setattr(i18n, "language", lambda: "zh")
    assert i18n.t("learn.about", family="DenseNet") == i18n.CATALOGUES["zh"]["learn.about"].format(
        family="DenseNet")
    assert i18n.class_name("Ankle boot") == "短靴" and i18n.class_name("7") == "7"  # digits stay
    monkeypatch.setattr(i18n, "language", lambda: "en")
    assert i18n.t("app.title") == "CNN Architecture Explorer"
    assert i18n.class_name("Ankle boot") == "Ankle boot"
