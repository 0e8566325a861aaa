"""Every module the pages import, imported once, under one lock, before a page runs.

Streamlit runs each session's script in its own thread. When a class arrives at once, a dozen first
runs import the pages' modules (and pandas, which plotly imports lazily) at the same moment, and a
thread could meet a module another thread had only half made ("partially initialized module 'pandas'
has no attribute 'Series'"; "cannot import name 'charts' from 'app.components'"): 10 of 12 first
loads showed Streamlit's error box (tests/test_class_arrives.py). app/server.py calls this before it
serves anyone; app/streamlit_app.py calls it first in every run, so that a server started without
server.py makes its first sessions wait here for one import instead of racing.
"""
from __future__ import annotations

import importlib
import pkgutil
import threading

# Imported inside libraries only when first needed: plotly imports pandas when a figure first meets
# data, Streamlit its chart and dataframe support when a page first draws one.
LIBRARIES = ("pandas", "plotly.graph_objects", "plotly.subplots", "plotly.io", "numpy",
             "streamlit.elements.plotly_chart", "streamlit.elements.arrow")
PACKAGES = ("app.services", "app.components", "app.views")

_lock = threading.Lock()
_done = threading.Event()


def modules() -> list[str]:
    names = list(LIBRARIES)
    for package in PACKAGES:
        found = importlib.import_module(package)
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(found.__path__)]
    return names


def everything() -> None:
    """Import every module of `modules()`, once per process; later calls return at once."""
    if _done.is_set():
        return
    with _lock:
        if not _done.is_set():
            for name in modules():
                importlib.import_module(name)
            _done.set()
