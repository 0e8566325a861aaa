"""A class arriving at once: every page opened twice at the same moment, in English and Chinese, on a
freshly started server (app/server.py as soon as it serves, during its warm-up; app/streamlit_app.py
with no warm-up at all). Before, 10 of 12 first loads ended in Streamlit's error box: the sessions'
threads imported the pages' modules (and pandas, under plotly) at the same time and met half-made
modules."""
import asyncio

import pytest
from browser_support import ROOT, streamlit_server

from bench.protocol import Session

pytestmark = pytest.mark.browser  # a real server, like the browser tests
PAGES = ("explore", "compare", "memory", "connections", "attributions", "train")


async def burst(base: str) -> list[str]:
    """Twelve first visits at once (each page twice, one in each language): what went wrong."""
    async def visit(page: str, lang: str) -> list[str]:
        session = Session(base, 240)
        try:
            run = await session.open(f"lang={lang}", page=page)
            return [f"{page}/{lang}: {text}" for text in run.exceptions + run.errors]
        finally:
            await session.close()
    found = await asyncio.gather(*(visit(page, lang) for page in PAGES for lang in ("en", "zh")))
    return [problem for problems in found for problem in problems]


@pytest.mark.parametrize("script, ready", [("server.py", "/"), ("streamlit_app.py", "/_stcore/health")])
def test_twelve_first_visits_at_once_on_a_fresh_server_all_load(script, ready):
    with streamlit_server(ROOT / "app" / script, ready=ready) as base:
        assert asyncio.run(burst(base)) == []
