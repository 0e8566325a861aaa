"""The page state lives in the URL query string, so a copied link restores it and Back works.

Each run compares the URL with what this session last wrote: if they differ, the URL changed outside
the app (a pasted link, a new tab, the Back/Forward buttons), and the page loads its state from it;
otherwise the widgets are the truth and the page writes their state back. Streamlit pushes a history
entry whenever the query string changes, and reruns the app with the old query on Back.

The browser sends its current query string with every rerun, also a widget's. A widget changed before
the last run's URL update reached the browser sends the URL before it: the page would take that for a
Back-button visit and undo the change. So the widgets call `acted` when they change, and a run a widget
started keeps the widgets' state whatever URL came with it.
"""
from __future__ import annotations

import re

import streamlit as st

PRESENT = "present"  # presentation mode (components/presentation.py): in every page's link while on
_WRITTEN = "_url.written"
_ACTED = "_url.acted"  # a widget of the page changed: this run is the user's action on it


def acted() -> None:
    """`on_change` of every widget whose state the page writes into its link."""
    st.session_state[_ACTED] = True


def incoming() -> tuple[dict, bool]:
    """(query params, whether they came from outside this session's last write)."""
    params = st.query_params.to_dict()
    return params, params != st.session_state.get(_WRITTEN) and not st.session_state.get(_ACTED)


def publish(state: dict) -> dict:
    """Write the page state (None values dropped) into the query string; return it as written."""
    state = {k: str(v) for k, v in state.items() if v is not None}
    if st.session_state.get(PRESENT):
        state[PRESENT] = "1"
    if st.query_params.to_dict() != state:
        st.query_params.from_dict(state)
    st.session_state[_WRITTEN] = state
    st.session_state[_ACTED] = False
    return state


def from_session(keys: dict[str, str]) -> dict:
    """{query parameter: the session value under its widget key}, empty values dropped."""
    return {param: st.session_state.get(key) or None for param, key in keys.items()}


def whole_number(text: str | None, low: int, high: int) -> int | None:
    """A link's whole number, brought into [low, high]; None unless it is ASCII digits (`str.isdigit`
    also takes "²", which int() then refuses with a traceback)."""
    if text is None or not re.fullmatch(r"[0-9]{1,9}", text):
        return None
    return min(max(int(text), low), high)
