"""Helpers shared by the AppTest modules: start the real app script, find widgets by key."""
from __future__ import annotations

import base64
import json
import pathlib
import re

import numpy as np
from streamlit.testing.v1 import AppTest

APP = pathlib.Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"
WIDGET_TYPES = ("slider", "select_slider", "number_input", "text_input", "toggle", "radio", "selectbox",
                "button_group")


def start(query: dict | None = None, context: dict | None = None, page: str | None = None) -> AppTest:
    """The app opened on `page` (default: Explore) at a link with this query string."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.context = dict(context or {})
    if page:  # AppTest can only switch to a navigation page after a first run
        at.run().switch_page(page)
    at.query_params = dict(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def widget(at: AppTest, key: str):
    """The widget with this key, whatever its type."""
    for kind in WIDGET_TYPES:
        for w in at.get(kind):
            if getattr(w, "key", None) == key:
                return w
    raise KeyError(key)


def redraw(at: AppTest) -> AppTest:
    """Run the whole page again. A change of a hyperparameter or the input reruns only Explore's results
    fragment, and AppTest's element tree then holds only what that run sent; a browser keeps the
    sidebar on screen. Tests that go on to use sidebar widgets redraw it first."""
    return at.run()


def metric_values(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def figure(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def plotted(z) -> np.ndarray:
    """A figure's array as plotly sends it, flattened: a list, or a typed array (dtype, base64 bytes)."""
    if isinstance(z, dict):
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
    return np.asarray(z, dtype=float).ravel()


def shown_text(markdown: str) -> str:
    """What a reader sees of the app's escaped markdown (every user value is backslash-escaped)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # and the word joiners in URLs


def errors(at: AppTest) -> list[str]:
    """The error boxes' text as a reader sees it."""
    return [shown_text(e.value) for e in at.error]


def uploader(at: AppTest, key: str):
    """The file uploader whose key is or starts with `key` (the checkpoint uploader's key counts the
    uploads); AppTest stages a file with .set_value((name, bytes, mime))."""
    return next(u for u in at.get("file_uploader") if u.key == key or u.key.startswith(f"{key}."))


def slide_captions(at: AppTest) -> dict:
    """{chart key: the caption its slide files get} for every chart with SVG/PNG downloads
    (components/slides.py: a component keyed "<chart key>.downloads" under the chart)."""
    return {c.key.removesuffix(".downloads"): json.loads(c.proto.json)["caption"]
            for c in at.get("bidi_component") if c.key.endswith(".downloads")}


def job_process():
    """The worker process of the one job actor running in this test process's local Ray (Ray titles a
    worker after its actor's class; the cluster's processes descend from the process that started it)."""
    import contextlib

    import psutil
    found = []
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):  # one that ended meanwhile
            if any("_JobActor" in part for part in process.cmdline()):
                found.append(process)
    assert len(found) == 1, found
    return found[0]
