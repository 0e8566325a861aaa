"""First visit to each page after a server start: seconds from navigation to the page's figures, the
clock starting once /_stcore/health answers (what a class sees when the teacher starts the server
and everyone opens a page at once, here one page after another). Each page gets a fresh browser
context (a new session); the server is started anew for every repetition.

    .venv/bin/python bench/first_visit.py [--repeats 2] [--no-write]

Baseline in the same run: the server started with its warm-up off (CNN_EXPLORER_WARMUP=0). Writes
the `first-visit` section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import IDLE, TIMEOUT, launch_chromium, streamlit_server  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.report import machine, write_section  # noqa: E402

# Page, what shows that its figures are there.
PAGES = {
    "explore": ("/", "[data-testid='stMetricValue']"),
    "compare": ("/compare", "[data-testid='stPlotlyChart']"),
    "memory": ("/memory", "[data-testid='stMetricValue']"),
    "connections": ("/connections", "[data-testid='stPlotlyChart']"),
    "attributions": ("/attributions", "[data-testid='stImage'], [data-testid='stPlotlyChart']"),
    "train": ("/train", "[data-testid='stButton']"),
}


def visit_all(browser, url: str) -> dict[str, float]:
    seconds = {}
    for page_name, (path, ready) in PAGES.items():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + path)
        page.wait_for_selector(ready, timeout=6 * TIMEOUT)
        page.wait_for_selector(IDLE, timeout=6 * TIMEOUT)
        seconds[page_name] = time.perf_counter() - start
        context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    runs: dict[str, list] = {"off": [], "on": []}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        for _ in range(args.repeats):
            for mode in runs:
                os.environ["CNN_EXPLORER_WARMUP"] = "1" if mode == "on" else "0"
                started = time.perf_counter()
                with streamlit_server(ROOT / "app" / "server.py", timeout=180) as url:
                    ready = time.perf_counter() - started
                    first = visit_all(browser, url)
                    # The same pages again, in new sessions: what a visit costs with every cache warm
                    # (the floor a warm-up can reach; the rest is the page itself and the browser).
                    runs[mode].append((ready, first, visit_all(browser, url) if mode == "on" else None))
        browser.close()
    rows = ["| page | warm-up off (baseline), s | warm-up on, s | on / off | second visit (warm), s |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for name in PAGES:
        off, on = (statistics.median(r[1][name] for r in runs[mode]) for mode in ("off", "on"))
        again = statistics.median(r[2][name] for r in runs["on"])
        rows.append(f"| {name} | {off:.1f} | {on:.1f} | {on / off:.2f} | {again:.1f} |")
    start_up = {mode: statistics.median(r[0] for r in runs[mode]) for mode in runs}
    text = "\n".join([
        "## First visit to each page after a server start", "",
        f"`bench/first_visit.py --repeats {args.repeats}` on {machine()}: a fresh server for each run, "
        "then each page once in a new session, one after another; seconds from navigation until the "
        "page's figures are drawn (medians of the runs; browser and server share the two cores); the last "
        "column visits every page once more in new sessions of the same warm server. "
        f"/_stcore/health answered {start_up['off']:.1f} s after the start without the warm-up and "
        f"{start_up['on']:.1f} s with it (app/warmup.py; the check answers 503 until it is done). "
        "Target: ≤ 3 s for every first visit.", "", *rows])
    print(text)
    if not args.no_write:
        write_section("first-visit", text)


if __name__ == "__main__":
    main()
