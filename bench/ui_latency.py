"""UI latency of the real app in headless chromium, against a bare Streamlit page in the same run.

Prints, and writes into docs/benchmarks.md under its own heading:
- time to first render: navigation start -> metrics and figures on screen and the script idle
  (the first load after the server starts, which imports torch and core, is reported apart);
- slider change -> updated figures: one arrow-key step of a slider -> the parameter metric shows
  core's new value, the graph shows the new model, and the script is idle. Every step gives a new
  config, so no result comes from the cache.
The bare page, the baseline measured in the same run, is one slider and one metric.
Run: .venv/bin/python bench/ui_latency.py
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import IDLE, launch_chromium, step_key, streamlit_server  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.report import write_section  # noqa: E402
from core.analysis import analyze  # noqa: E402
from core.export import export  # noqa: E402

BARE_APP = """import streamlit as st
value = st.slider("value", 1, 256, 32, key="value")
st.metric("double", value * 2)
"""
# The bare page plus st.graphviz_chart of densenet121's block graph (one label follows the slider):
# what rendering the graph in the browser costs by itself.
BARE_GRAPH_APP = BARE_APP + """from pathlib import Path
dot = Path(__file__).with_name("densenet121.dot").read_text()
st.graphviz_chart(dot.replace("input\\\\n", f"input {value}\\\\n"), width="content")
"""
HEADING = "## UI latency (bench/ui_latency.py)"
VIEWPORT = {"width": 1600, "height": 1000}
# True when the first metric shows `text`, the graph (if expected) contains `svg`, and the run is over.
SHOWN = """([text, svg]) => {
  const app = document.querySelector("[data-testid='stApp']");
  const metric = document.querySelector("[data-testid='stMetricValue']");
  if (!app || app.dataset.testScriptState !== "notRunning" || !metric) return false;
  if (metric.innerText.trim() !== text) return false;
  if (svg === null) return true;
  const graph = document.querySelector(".graph-svg svg, [data-testid='stGraphVizChart'] svg");
  return !!graph && graph.textContent.includes(svg);
}"""


class Target:
    """One page to time: its URL, the slider to move, and what the screen must show per value."""

    def __init__(self, label, path, slider, start, step, expected):
        self.label, self.path, self.slider = label, path, slider
        self.start, self.step, self.expected = start, step, expected


def densenet_expected(k):
    params = analyze("densenet121", growth_rate=k).trace.total_params
    return f"{params:,}", f"64→{64 + 6 * k} ch"  # dense block 1's label in the graph


def resnet_expected(c):
    params = analyze("resnet50", in_channels=c).trace.total_params
    return f"{params:,}", f"{c}×224×224"  # the input node's label in the graph


TARGETS = [
    Target("densenet121", "/?model=densenet121", ".st-key-cfg-densenet-growth_rate", 32, -1,
           densenet_expected),
    Target("resnet50", "/?model=resnet50", ".st-key-cfg-resnet-in_channels", 3, +1, resnet_expected),
]
BARE = Target("bare page (1 slider, 1 metric)", "/", ".st-key-value", 32, +1,
              lambda v: (str(2 * v), None))
BARE_GRAPH = Target("bare page + densenet121 graph (reference)", "/", ".st-key-value", 32, +1,
                    lambda v: (str(2 * v), f"input {v}"))


def first_render(browser, url, expected) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(SHOWN, arg=list(expected), timeout=120_000, polling="raf")
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def slider_updates(browser, url, target, samples) -> list[float]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(SHOWN, arg=list(target.expected(target.start)), timeout=120_000)
    slider = page.locator(f"{target.slider} input")  # a slider or a number box
    key = step_key(slider.get_attribute("type"), target.step > 0)
    slider.focus()
    times, value = [], target.start
    for _ in range(samples):
        value += target.step
        expected = list(target.expected(value))
        page.wait_for_selector(IDLE)
        start = time.perf_counter()
        slider.press(key)
        page.wait_for_function(SHOWN, arg=expected, timeout=30_000, polling="raf")
        times.append(time.perf_counter() - start)
    context.close()
    return times


def percentile(values, q) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure(browser, base, target, loads, samples) -> dict:
    url = base + target.path
    cold = first_render(browser, url, target.expected(target.start))
    warm = [first_render(browser, url, target.expected(target.start)) for _ in range(loads)]
    updates = slider_updates(browser, url, target, samples)
    return dict(label=target.label, cold=cold, first=statistics.median(warm),
                p50=percentile(updates, 50), p95=percentile(updates, 95), n=len(updates))


def table(rows, bare) -> str:
    """One row per page; the ratio is each first render over the bare page's."""
    lines = ["| page | first render, cold (s) | first render, median (s) | ratio to bare | "
             "slider → figures p50 (ms) | p95 (ms) | samples |", "|---|---|---|---|---|---|---|"]
    for r in [bare, *rows]:
        ratio = r["first"] / bare["first"]
        lines.append(f"| {r['label']} | {r['cold']:.2f} | {r['first']:.2f} | {ratio:.2f}× | "
                     f"{r['p50'] * 1000:.0f} | {r['p95'] * 1000:.0f} | {r['n']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="warm first-render loads per page")
    parser.add_argument("--samples", type=int, default=30,
                        help="slider steps per page (at most 31: densenet121 goes from k=32 down)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        (Path(tmp) / "bare_graph_app.py").write_text(BARE_GRAPH_APP)
        (Path(tmp) / "densenet121.dot").write_text(export("densenet121", "dot"))
        browser = launch_chromium(p)
        with streamlit_server(Path(tmp) / "bare_app.py") as url:
            bare = measure(browser, url, BARE, args.loads, args.samples)
        with streamlit_server(Path(tmp) / "bare_graph_app.py") as url:
            rows = [measure(browser, url, BARE_GRAPH, args.loads, args.samples)]
        with streamlit_server(ROOT / "app" / "server.py") as url:
            rows += [measure(browser, url, target, args.loads, args.samples) for target in TARGETS]
        browser.close()
    result = table(rows, bare)
    print(result)
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    print(load)
    if not args.no_write:
        body = (f"{HEADING}\n\nHeadless Debian chromium against a local `streamlit run`, "
                f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPUs ({load}; "
                "chromium, the server and the benchmark share them), CPU only. "
                "Cold = first load after the server starts (imports torch and core); median over "
                f"{args.loads} further fresh browser contexts. Slider → figures: one arrow-key step "
                "until the parameter metric shows core's new value, the graph shows the new model and "
                "the script is idle (a new config every step: no cache hits). Targets: first "
                "render ≤ 2.5 s and ≤ 1.2× the bare page, p95 ≤ 300 ms. The reference row adds "
                "st.graphviz_chart of densenet121's block graph to the bare page: what laying the graph "
                "out in the browser (Graphviz WASM) costs by itself; the app lays it out on the server "
                f"({'with' if shutil.which('dot') else 'WITHOUT'} Graphviz's `dot` in this run) and "
                "the browser only draws the SVG. All pages run with `.streamlit/config.toml` "
                "(no full garbage collection after each script run).\n\n"
                f"{result}\n\nReproduce: `.venv/bin/python bench/ui_latency.py`\n")
        write_section("ui_latency", body)


if __name__ == "__main__":
    main()
