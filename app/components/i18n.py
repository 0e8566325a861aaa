"""The UI's text in every language, read from the gettext catalogues in app/locale/ (messages.pot, the
English source; zh.po, Chinese), and the current language.

The language is: the `lang` query parameter when a link carries one, else the session's choice, else
the browser's (navigator.language via st.context.locale, then the Accept-Language header).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from babel.messages.pofile import read_po

from . import url_state

LANG_KEY = "lang"

LOCALE = Path(__file__).resolve().parents[1] / "locale"


def _catalogue(path: Path) -> dict[str, str]:
    """{key: text} of a gettext catalogue whose msgctxt is the key: a translation's msgstr, or in the
    template (messages.pot, the English source) the msgid."""
    with path.open("rb") as file:
        return {m.context: m.string or m.id for m in read_po(file) if m.id and m.context}


# The UI's text per language: English from the template, each other language from its <code>.po.
CATALOGUES = {"en": _catalogue(LOCALE / "messages.pot"),
              **{path.stem: _catalogue(path) for path in sorted(LOCALE.glob("*.po"))}}
LANGUAGES = {code: texts["lang.name"] for code, texts in CATALOGUES.items()}
# key: its text in every language, in LANGUAGES' order (a widget's label is matched in any of them)
STRINGS: dict[str, tuple[str, ...]] = {key: tuple(CATALOGUES[code][key] for code in LANGUAGES)
                                       for key in CATALOGUES["en"]}


def language() -> str:
    return st.session_state.get(LANG_KEY, "en")


def t(key: str, **values) -> str:
    text = CATALOGUES[language()][key]
    return text.format(**values) if values else text


def class_name(name: str) -> str:
    """A dataset's class name in the user's language, where the catalogue has it (Fashion-MNIST's: the
    `class.` keys; digits and CIFAR-10 names stay as they are)."""
    return CATALOGUES[language()].get(f"class.{name}", name)


def localize_choice(key: str, options: dict[str, str], default: str) -> list[str]:
    """Labels for a choice widget whose options are catalogue strings ({id: catalogue key}).

    The widget state holds a label; after a language switch it is mapped to the same option in the
    new language (formatting options through t() instead would break AppTest, which formats outside
    the session). Returns the labels in option order.
    """
    current = st.session_state.get(key)
    chosen = next((i for i, k in options.items() if current in STRINGS[k]), default)
    st.session_state[key] = t(options[chosen])
    return [t(k) for k in options.values()]


def chosen_id(label: str, options: dict[str, str]) -> str:
    return next(i for i, k in options.items() if label in STRINGS[k])


def browser_language() -> str:
    """zh when the browser prefers Chinese, else en."""
    locale = st.context.locale or ""
    if not locale:
        accept = st.context.headers.get("Accept-Language") or ""
        locale = accept.split(",")[0]
    return "zh" if locale.lower().startswith("zh") else "en"


def language_switch(url_lang: str | None, from_url: bool) -> str:
    """The sidebar language switch; a link's `lang` wins when the URL changed from outside."""
    if from_url and url_lang in LANGUAGES:
        st.session_state[LANG_KEY] = url_lang
    elif LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = browser_language()
    st.sidebar.segmented_control(t("lang.label"), list(LANGUAGES), format_func=LANGUAGES.get,
                                 key=LANG_KEY, required=True, on_change=url_state.acted)
    return st.session_state[LANG_KEY]
