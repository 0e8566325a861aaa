"""First visit to each page after a server start: seconds from a new session's first request until
the server has sent the whole page (its script run finished: every figure's data is on the wire), the
clock starting once /_stcore/health answers (what a class sees when the teacher starts the server and
everyone opens a page, here one page after another). Sessions are driven at Streamlit's websocket
protocol (bench/protocol.py): the students' browsers draw the figures on their own laptops, so what
the server's warm-up can remove is the server's part. The server is started anew for every repetition.

    .venv/bin/python bench/first_visit.py [--repeats 2] [--no-write]

Baseline in the same run: the server started with its warm-up off (CNN_EXPLORER_WARMUP=0). Writes
the `first-visit` section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import streamlit_server  # noqa: E402

from bench.protocol import Session  # noqa: E402
from bench.report import machine, write_section  # noqa: E402

# Page name -> url path; each page opens on its defaults, as a student following a link does.
PAGES = {"explore": "", "compare": "compare", "memory": "memory", "connections": "connections",
         "attributions": "attributions", "train": "train"}


async def visit(url: str, path: str) -> float:
    session = Session(url, timeout=180)
    try:
        run = await session.open(page=path)
    finally:
        await session.close()
    if run.exceptions or run.errors:
        raise RuntimeError(f"/{path} showed {run.exceptions or run.errors}")
    return run.seconds


def visit_all(url: str) -> dict[str, float]:
    return {name: asyncio.run(visit(url, path)) for name, path in PAGES.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    runs: dict[str, list] = {"off": [], "on": []}
    for _ in range(args.repeats):
        for mode in runs:
            os.environ["CNN_EXPLORER_WARMUP"] = "1" if mode == "on" else "0"
            started = time.perf_counter()
            with streamlit_server(ROOT / "app" / "server.py", timeout=180) as url:
                ready = time.perf_counter() - started
                first = visit_all(url)
                # The same pages again, in new sessions: what a visit costs with every cache warm
                # (the floor a warm-up can reach; the rest is the page's own work on every visit).
                runs[mode].append((ready, first, visit_all(url) if mode == "on" else None))
    rows = ["| page | warm-up off (baseline), s | warm-up on, s | on / off | second visit (warm), s |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for name in PAGES:
        off, on = (statistics.median(r[1][name] for r in runs[mode]) for mode in ("off", "on"))
        again = statistics.median(r[2][name] for r in runs["on"])
        rows.append(f"| {name} | {off:.2f} | {on:.2f} | {on / off:.2f} | {again:.2f} |")
    worst = max(statistics.median(r[1][name] for r in runs["on"]) for name in PAGES)
    start_up = {mode: statistics.median(r[0] for r in runs[mode]) for mode in runs}
    text = "\n".join([
        "## First visit to each page after a server start", "",
        f"`bench/first_visit.py --repeats {args.repeats}` on {machine()}: a fresh server for each run, "
        "then each page once in a new session, one after another, driven at the websocket protocol "
        "(bench/protocol.py); seconds from the session's first request until the page's script run "
        "finished, i.e. every figure's data sent (medians of the runs); the last column visits every "
        "page once more in new sessions of the same warm server. "
        f"/_stcore/health answered {start_up['off']:.1f} s after the start without the warm-up and "
        f"{start_up['on']:.1f} s with it (app/warmup.py; the check answers 503 until it is done). "
        f"Target: ≤ 3 s for every first visit; slowest with the warm-up: {worst:.2f} s.", "", *rows])
    print(text)
    if not args.no_write:
        write_section("first-visit", text)


if __name__ == "__main__":
    main()
