"""Load: N concurrent real browser sessions against one local `streamlit run` server, for a bounded time.

Each session is its own Playwright context (its own Streamlit session) in one headless Debian chromium.
It opens a model and then, until time is up, repeatedly: steps a hyperparameter slider, switches the
Explore tab, or visits the Compare page and comes back. An update's latency runs from the action to the
script being idle with the change on screen. Reported: errors, p50/p95 update latency, and the server's
resident memory (RSS) over time. The browser and the server share this machine's cores, so these
figures are an upper bound for a server that has its cores to itself.

    .venv/bin/python bench/load.py --sessions 5 10 20 --seconds 90        # prints; --write: benchmarks.md
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import CHROMIUM, CHROMIUM_FLAGS, IDLE, METRIC, step_key, streamlit_server  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

import core  # noqa: E402
from bench.report import machine, write_section  # noqa: E402

ACTION_TIMEOUT_MS = 60_000
EXCEPTION = "[data-testid='stException']"
TABS = {"Graph": "graph", "Channels": "channels", "Layers": "layers"}
# (preset, slider field): the models a session walks; DenseNet and ResNet, large and small.
WALKS = [("densenet121", "growth_rate"), ("resnet50", "in_channels"),
         ("densenet_bc100_k12", "growth_rate"), ("d2l_resnet18", "in_channels")]
# True once the script is idle and the first metric shows something other than `previous`.
METRIC_CHANGED = """(previous) => {
  const app = document.querySelector("[data-testid='stApp']");
  const metric = document.querySelector("[data-testid='stMetricValue']");
  return !!app && app.dataset.testScriptState === "notRunning" && !!metric
         && metric.innerText.trim() !== previous;
}"""


@dataclass
class Walk:
    """One session's model and the slider it moves, within the field's bounds."""
    preset: str
    field: str
    low: int
    high: int

    @classmethod
    def of(cls, preset: str, field_name: str) -> Walk:
        config = core.get_config(preset)
        spec = next(s for s in type(config).fields() if s.name == field_name)
        return cls(preset, field_name, int(spec.low), int(spec.high))

    @property
    def slider(self) -> str:
        return f".st-key-cfg-{core.get_config(self.preset).family}-{self.field} input"

    def key_from(self, value: int, input_type: str | None) -> str:
        """The arrow key for one step from `value` (read off the page), turning back at the ends."""
        return step_key(input_type, value < self.high and (value == self.low or random.random() < 0.5))


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"slider": [], "tab": [], "page": []})
    first_loads: list[float] = field(default_factory=list)
    first_loads_done: list[float] = field(default_factory=list)  # perf_counter at each one's end
    errors: list[str] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (perf_counter seconds, bytes)
    sessions_started: float = 0.0  # perf_counter when the sessions began (after the warm-up load)


async def idle(page) -> None:
    await page.wait_for_selector(IDLE, timeout=ACTION_TIMEOUT_MS)


async def metric_text(page) -> str:
    return (await page.locator(METRIC).first.inner_text()).strip()


async def open_model(page, base: str, walk: Walk) -> None:
    await page.goto(f"{base}/?model={walk.preset}")
    await page.wait_for_selector(METRIC, timeout=ACTION_TIMEOUT_MS)
    await idle(page)


async def move_slider(page, walk: Walk) -> None:
    before = await metric_text(page)
    slider = page.locator(walk.slider)
    value = int(await slider.input_value())
    key = walk.key_from(value, await slider.get_attribute("type"))
    await slider.focus()
    await slider.press(key)
    pressed = await slider.input_value()
    try:
        await page.wait_for_function(METRIC_CHANGED, arg=before, timeout=ACTION_TIMEOUT_MS)
    except Exception as exc:
        raise RuntimeError(f"{key} at {value} -> {pressed}, now {await slider.input_value()}, metric "
                           f"{before} -> {await metric_text(page)}: {exc}") from exc


async def switch_tab(page, _walk: Walk) -> None:
    label = random.choice(list(TABS))
    await page.get_by_role("tab", name=label).click()
    await page.wait_for_url(f"**tab={TABS[label]}**", timeout=ACTION_TIMEOUT_MS)
    await idle(page)


async def visit_compare(page, _walk: Walk) -> None:
    """To the Compare page and back to Explore (two page loads inside one session)."""
    await page.locator("[data-testid='stSidebarNavLink']", has_text="Compare").click()
    await page.wait_for_selector("[data-testid='stTable']", timeout=ACTION_TIMEOUT_MS)
    await idle(page)
    await page.locator("[data-testid='stSidebarNavLink']", has_text="Explore").click()
    await page.wait_for_selector(METRIC, timeout=ACTION_TIMEOUT_MS)
    await idle(page)


ACTIONS = [("slider", move_slider, 6), ("tab", switch_tab, 2), ("page", visit_compare, 1)]


async def session(browser, base: str, number: int, deadline: float, results: Results) -> None:
    walk = Walk.of(*WALKS[number % len(WALKS)])
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await open_model(page, base, walk)
        results.first_loads_done.append(time.perf_counter())
        results.first_loads.append(results.first_loads_done[-1] - start)
    except Exception as exc:
        results.errors.append(f"session {number} first load: {type(exc).__name__}: {str(exc)[:200]}")
    while time.perf_counter() < deadline:
        kind, action, _ = random.choices(ACTIONS, weights=[w for *_, w in ACTIONS])[0]
        start = time.perf_counter()
        try:
            await action(page, walk)
            if await page.locator(EXCEPTION).count():
                shown = await page.locator(EXCEPTION).first.inner_text()
                raise RuntimeError(f"the page shows an exception: {shown}")
            results.latencies[kind].append(time.perf_counter() - start)
        except Exception as exc:  # any failure is a finding: count it, reload the model and go on
            state = await page_state(page, number, len(results.errors))
            results.errors.append(f"session {number} {kind}: {type(exc).__name__}: {str(exc)[:400]} {state}")
            try:
                await open_model(page, base, walk)
            except Exception as reload_exc:
                results.errors.append(f"session {number} reload: {type(reload_exc).__name__}")
    await context.close()


async def page_state(page, number: int, index: int) -> str:
    """What the page showed when an action failed: URL, script state, and a screenshot if asked for."""
    try:
        state = await page.evaluate(
            "() => document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState")
        shot = ""
        if os.environ.get("LOAD_SCREENSHOTS"):
            path = Path(os.environ["LOAD_SCREENSHOTS"]) / f"error-{number}-{index}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=path, full_page=True)
            shot = f" screenshot {path}"
        return f"[url {page.url}, script {state}{shot}]"
    except Exception as exc:
        return f"[page state unavailable: {type(exc).__name__}]"


async def sample_rss(process: psutil.Process, results: Results, stop: asyncio.Event) -> None:
    while not stop.is_set():
        results.rss.append((time.perf_counter(), process.memory_info().rss))
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except TimeoutError:
            pass


def server_process(base: str) -> psutil.Process:
    """The `streamlit run` child that browser_support started on this URL's port."""
    port = base.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        if port in child.cmdline():
            return child
    raise RuntimeError(f"no server process on port {port}")


async def run_load(sessions: int, seconds: float) -> Results:
    """One fresh server, one warm-up page load, then `sessions` sessions for `seconds` seconds."""
    results = Results()
    with streamlit_server(ROOT / "app" / "server.py") as base:
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_rss(server_process(base), results, stop))
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            warm = await browser.new_context()
            await open_model(await warm.new_page(), base, Walk.of(*WALKS[0]))  # torch + core imports
            await warm.close()
            results.sessions_started = time.perf_counter()
            deadline = results.sessions_started + seconds
            await asyncio.gather(*(session(browser, base, i, deadline, results) for i in range(sessions)))
            await browser.close()
        stop.set()
        await sampler
    return results


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarize(sessions: int, seconds: float, results: Results) -> dict:
    """Latency percentiles over every update; RSS when the sessions start, after the warm-up (every
    session has loaded its first page, and at least a quarter of the run has passed), at the end."""
    updates = [v for values in results.latencies.values() for v in values]
    t0 = results.sessions_started
    over_time = [(t - t0, r) for t, r in results.rss if t >= t0]
    rss = [r for _, r in over_time]
    warm_up = max([seconds / 4] + [t - t0 for t in results.first_loads_done])
    warm = next((r for t, r in over_time if t >= warm_up), rss[-1] if rss else 0)
    return dict(sessions=sessions, seconds=seconds, updates=len(updates), errors=len(results.errors),
                p50=percentile(updates, 50), p95=percentile(updates, 95),
                slider_p95=percentile(results.latencies["slider"], 95),
                first_load_p50=percentile(results.first_loads, 50),
                rss_start=rss[0] if rss else 0, rss_warm=warm, rss_end=rss[-1] if rss else 0,
                rss_max=max(rss, default=0),
                rss_growth=(rss[-1] - warm) / warm if warm else float("nan"),
                load_average=os.getloadavg()[0], first_errors=results.errors[:3],
                rss_over_time=[(round(t), r) for t, r in over_time[:: max(1, len(over_time) // 8)]])


MB = 2**20
HEADER = ("| sessions | seconds | updates | errors | p50 (s) | p95 (s) | slider p95 (s) | first load p50 (s) "
          "| RSS start → after warm-up → end (MB) | RSS max (MB) | growth after warm-up | load average |")


def seconds_text(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}"  # no update finished in the run


def row(s: dict) -> str:
    return (f"| {s['sessions']} | {s['seconds']:.0f} | {s['updates']} | {s['errors']} | "
            f"{seconds_text(s['p50'])} | {seconds_text(s['p95'])} | {seconds_text(s['slider_p95'])} | "
            f"{seconds_text(s['first_load_p50'])} | "
            f"{s['rss_start'] / MB:.0f} → {s['rss_warm'] / MB:.0f} → {s['rss_end'] / MB:.0f} | "
            f"{s['rss_max'] / MB:.0f} | {s['rss_growth']:+.1%} | {s['load_average']:.1f} |")


def markdown(summaries: list[dict], command: str) -> str:
    crossing = next((s["sessions"] for s in summaries if not s["p95"] <= 1.5), None)  # nan: none done
    verdict = (f"p95 passes 1.5 s at {crossing} session{'s' if crossing > 1 else ''}" if crossing
               else "p95 stayed ≤ 1.5 s at every session count measured")
    lines = ["## Load (bench/load.py)", "",
             f"{datetime.date.today()} · {machine()} · one `streamlit run` on 127.0.0.1 and headless Debian "
             "chromium on the same cores (the browser's rendering competes with the server). Each session "
             "is a browser context: it opens one of "
             f"{', '.join(p for p, _ in WALKS)} and repeatedly steps a slider (6 in 9 actions), switches "
             "the Explore tab (2 in 9) or visits Compare and comes back (1 in 9). Latency: action → script "
             "idle with the change on screen. RSS: the server process, sampled every second. Load average: "
             "the machine's 1-minute load at the end of the run (2 cores; other work may share them). "
             "Warm-up: until every session has loaded its first page, and at least a quarter of the "
             "run.", "",
             HEADER, "|---" * 12 + "|", *map(row, summaries), "", f"**{verdict}.**", "",
             "RSS over time (s: MB):", ""]
    for s in summaries:
        points = ", ".join(f"{t}: {r / MB:.0f}" for t, r in s["rss_over_time"])
        lines.append(f"- {s['sessions']} sessions: {points}")
    lines += ["", "Errors are actions that did not finish within 60 s (or a page that showed an exception); "
                  "the first of each run:", ""]
    lines += [f"- {s['sessions']} sessions: {error}" for s in summaries for error in s["first_errors"]]
    lines += ["", f"Reproduce: `{command}`"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[5], help="session counts to run")
    parser.add_argument("--seconds", type=float, default=60, help="duration of each run")
    parser.add_argument("--write", action="store_true", help="write the load section of docs/benchmarks.md")
    args = parser.parse_args()
    random.seed(0)
    summaries = []
    for count in args.sessions:
        results = asyncio.run(run_load(count, args.seconds))
        summaries.append(summarize(count, args.seconds, results))
        print(row(summaries[-1]), flush=True)
        for error in results.errors[:10]:
            print("  ", error)
    command = "python bench/load.py " + " ".join(sys.argv[1:])
    text = markdown(summaries, command.replace(" --write", ""))
    print(text)
    if args.write:
        write_section("load", text)


if __name__ == "__main__":
    main()
