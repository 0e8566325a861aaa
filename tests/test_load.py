"""Short load test at Streamlit's websocket protocol (bench/load.py): 3 sessions × 30 s of the
classroom mix against one local server, one of them training: no errors, every session acted, the web
process and the engine were sampled throughout. Timings are printed, never asserted: benchmarks
print figures, tests check behaviour."""
import asyncio

from bench.load import KINDS, row, run_load, summarize

SESSIONS, SECONDS = 3, 30


def test_three_sessions_for_thirty_seconds_without_errors():
    results = asyncio.run(run_load(SESSIONS, SECONDS))
    summary = summarize(SESSIONS, SECONDS, results)
    print(row(summary))
    assert results.errors == []
    assert len(results.first_loads) == SESSIONS
    assert summary["actions"] >= 2 * SESSIONS  # every session did something besides its first load
    assert len(results.latencies["train"]) == 1  # session 0 started a run (one in ten)
    assert set(results.latencies) == set(KINDS)
    assert len(results.samples) >= SECONDS // 2
    assert summary["web_rss_end"] > 0 and summary["total_rss_end"] > summary["web_rss_end"]
