"""First visit to each page after a server start: seconds from a new session's first request until
the server has sent the whole page (its script run finished: every figure's data is on the wire), the
clock starting once /_stcore/health answers (what a class sees when the teacher starts the server and
everyone opens a page, here one page after another). Sessions are driven at Streamlit's websocket
protocol (bench/protocol.py): the students' browsers draw the figures on their own laptops, so what
the server's warm-up can remove is the server's part. The server is started anew for every repetition.

    .venv/bin/python bench/first_visit.py [--repeats 2] [--no-write]

Baseline in the same run: the server started with its warm-up off (CNN_EXPLORER_WARMUP=0). Writes
the `first-visit` section of docs/benchmarks.md.

    .venv/bin/python bench/first_visit.py --burst 2 --tries 5 [--no-write]

The class arriving at once instead: on each of `tries` fresh servers, every page opened `burst` times
at the same moment (half in English, half in Chinese), as soon as the server serves its page
(app/server.py, during its warm-up) and, for `streamlit run app/streamlit_app.py` (no warm-up), once
its health check answers. Counts the loads that showed an error; writes `first-visit-burst`.
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


async def burst(base: str, per_page: int = 2) -> tuple[list[str], list[float]]:
    """Every page opened `per_page` times at one moment, alternating English and Chinese: (what went
    wrong, each load's seconds)."""
    async def one(path: str, lang: str) -> tuple[list[str], float]:
        session = Session(base, 240)
        try:
            run = await session.open(f"lang={lang}", page=path)
            return [f"/{path} ({lang}): {text}" for text in run.exceptions + run.errors], run.seconds
        finally:
            await session.close()
    loads = await asyncio.gather(*(one(path, ("en", "zh")[i % 2])
                                   for path in PAGES.values() for i in range(per_page)))
    return [problem for problems, _ in loads for problem in problems], [seconds for _, seconds in loads]


def burst_section(per_page: int, tries: int) -> str:
    rows = ["| server | when the burst starts | first loads at once | tries with an error | loads with an "
            "error | slowest load, s (median of tries) |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for script, ready, when in (("server.py", "/", "as soon as it serves (during its warm-up)"),
                                ("streamlit_app.py", "/_stcore/health", "health check 200 (no warm-up)")):
        failed_tries, failed_loads, slowest = 0, 0, []
        for _ in range(tries):
            with streamlit_server(ROOT / "app" / script, timeout=180, ready=ready) as url:
                problems, seconds = asyncio.run(burst(url, per_page))
            failed_tries += bool(problems)
            failed_loads += len(problems)
            slowest.append(max(seconds))
        rows.append(f"| app/{script} | {when} | {per_page * len(PAGES)} | {failed_tries} of {tries} | "
                    f"{failed_loads} | {statistics.median(slowest):.1f} |")
    return "\n".join([
        "## A class arriving at once (`bench/first_visit.py --burst`)", "",
        f"`bench/first_visit.py --burst {per_page} --tries {tries}` on {machine()}: on each try a fresh "
        f"server, then every page opened {per_page} times at the same moment (half in English, half in "
        "Chinese) at Streamlit's websocket protocol. An error is an exception element or an error box on "
        "a first load. Before the pages' modules were imported ahead of the first session "
        "(app/preload.py), 10 of 12 such loads ended in Streamlit's error box.", "", *rows])


def visit_all(url: str) -> dict[str, float]:
    return {name: asyncio.run(visit(url, path)) for name, path in PAGES.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--burst", type=int, default=0, help="open every page this many times at once")
    parser.add_argument("--tries", type=int, default=5, help="fresh servers for --burst")
    args = parser.parse_args()
    if args.burst:
        text = burst_section(args.burst, args.tries)
        print(text)
        if not args.no_write:
            write_section("first-visit-burst", text)
        return
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
