"""requirements.txt admitted streamlit 1.40 though the app uses newer APIs: its lower bound is the
release the tests run on, and the APIs the app relies on are checked here by name."""
import inspect
import re
from importlib.metadata import version

import streamlit as st
from conftest import ROOT


def lower_bound(package: str) -> tuple[int, ...]:
    text = (ROOT / "requirements.txt").read_text()
    found = re.search(rf"^{package}>=([\d.]+)", text, re.MULTILINE)
    return tuple(int(part) for part in found.group(1).split("."))


def test_the_installed_streamlit_is_within_the_stated_range():
    installed = tuple(int(part) for part in version("streamlit").split(".")[:2])
    assert installed >= lower_bound("streamlit")[:2]


def test_the_streamlit_apis_the_app_uses_exist():
    assert hasattr(st, "App")  # app/server.py: the ASGI app with middleware
    assert callable(st.components.v2.component)  # app/components/graph_view.py
    assert {"key", "on_change"} <= set(inspect.signature(st.tabs).parameters)  # views/explore.py
    assert "persist_state" in inspect.signature(st.selectbox).parameters  # checkpoint_picker.py
    assert "key" in inspect.signature(st.fragment).parameters  # views/explore.py
