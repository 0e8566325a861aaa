"""The page state lives in the URL query string, so a copied link restores it and Back works.

Each run compares the URL with what this session last wrote: if they differ, the URL changed outside
the app (a pasted link, a new tab, the Back/Forward buttons), and the page loads its state from it;
otherwise the widgets are the truth and the page writes their state back. Streamlit pushes a history
entry whenever the query string changes, and reruns the app with the old query on Back.
"""
from __future__ import annotations

import streamlit as st

_WRITTEN = "_url.written"


def incoming() -> tuple[dict, bool]:
    """(query params, whether they came from outside this session's last write)."""
    params = st.query_params.to_dict()
    return params, params != st.session_state.get(_WRITTEN)


def publish(state: dict) -> dict:
    """Write the page state (None values dropped) into the query string; return it as written."""
    state = {k: str(v) for k, v in state.items() if v is not None}
    if st.query_params.to_dict() != state:
        st.query_params.from_dict(state)
    st.session_state[_WRITTEN] = state
    return state


def from_session(keys: dict[str, str]) -> dict:
    """{query parameter: the session value under its widget key}, empty values dropped."""
    return {param: st.session_state.get(key) or None for param, key in keys.items()}
