"""A class arriving at once: every page opened twice at the same moment, in English and Chinese, on a
freshly started server (app/server.py as soon as it serves, during its warm-up; app/streamlit_app.py
with no warm-up at all). Before, 10 of 12 first loads ended in Streamlit's error box: the sessions'
threads imported the pages' modules (and pandas, under plotly) at the same time and met half-made
modules."""
import asyncio

import pytest
from browser_support import ROOT, streamlit_server

from bench.first_visit import burst

pytestmark = pytest.mark.browser  # a real server, like the browser tests


@pytest.mark.parametrize("script, ready", [("server.py", "/"), ("streamlit_app.py", "/_stcore/health")])
def test_twelve_first_visits_at_once_on_a_fresh_server_all_load(script, ready):
    with streamlit_server(ROOT / "app" / script, ready=ready) as base:
        problems, _ = asyncio.run(burst(base))
        assert problems == []
