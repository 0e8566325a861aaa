"""Short load test: 3 real browser sessions × 30 s against one local server (bench/load.py): no errors,
and the server's memory was sampled throughout. Timings are printed, never asserted (DESIGN.md §5)."""
import asyncio

import pytest

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.async_api")

from bench.load import row, run_load, summarize  # noqa: E402

SESSIONS, SECONDS = 3, 30


def test_three_sessions_for_thirty_seconds_without_errors():
    results = asyncio.run(run_load(SESSIONS, SECONDS))
    summary = summarize(SESSIONS, SECONDS, results)
    print(row(summary))
    assert results.errors == []
    assert summary["updates"] >= SESSIONS  # every session did something besides its first load
    assert len(results.rss) >= SECONDS // 2 and summary["rss_end"] > 0
