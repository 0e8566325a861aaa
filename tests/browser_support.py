"""A real `streamlit run` server on a free port, Debian's headless chromium, and the waits and
screenshots the browser tests share (also used by bench/ui_latency.py and bench/load.py)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

from app.replicas import free_port, stop, streamlit_command, wait_ready

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
METRIC = "[data-testid='stMetricValue']"
GROWTH = ".st-key-cfg-densenet-growth_rate input"  # a number box: type, or arrow keys
TIMEOUT = 90_000  # ms for one wait in a browser test (a first analysis can queue on its worker under CI load)
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots (git-ignored)
CHECKPOINT_UPLOAD = "[class*='st-key-ckpt-upload'] input[type='file']"  # its key counts the uploads


def step_key(input_type: str | None, up: bool) -> str:
    """The arrow key that moves a widget's <input> one step: a slider (type range) takes Left/Right,
    a number box Up/Down."""
    if input_type == "range":
        return "ArrowRight" if up else "ArrowLeft"
    return "ArrowUp" if up else "ArrowDown"


@contextlib.contextmanager
def streamlit_server(script: Path, timeout: float = 180, ready: str = "/_stcore/health", cwd: Path = ROOT):
    """Yield the base URL of `streamlit run script` once `ready` answers 200: by default its health
    check (app/server.py warms up first, about 20 s here, as a deployed server does: a cold first visit
    on two busy cores can take longer than a test waits), or "/" for as soon as it serves its page (what
    a student who opens the link then gets); stop it after. `cwd`: the checkout it serves from."""
    port = free_port()
    # The server log goes to a file: a pipe that nobody reads fills up and stalls a chatty server.
    # SERVER_LOG=path keeps it for reading after the run.
    log = open(os.environ["SERVER_LOG"], "w+b") if os.environ.get("SERVER_LOG") else tempfile.TemporaryFile()
    proc = subprocess.Popen(streamlit_command(script, port), cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url, proc, timeout, ready)
        except RuntimeError as failed:
            log.seek(0)
            raise RuntimeError(f"{failed}: {log.read().decode()[-2000:]}") from None
        yield url
    finally:
        stop(proc)
        log.close()


@contextlib.contextmanager
def browser_context(browser, width: int = 1600, height: int = 1000):
    """A fresh browser session (its own cookies and storage) at this window size, English."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    ctx.set_default_timeout(TIMEOUT)
    try:
        yield ctx
    finally:
        ctx.close()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


def settle(page, text=None, locator=METRIC):
    """Wait until `locator` shows `text` (when given) and the script has finished its run."""
    from playwright.sync_api import expect
    if text is not None:
        expect(page.locator(locator).first).to_have_text(text, timeout=TIMEOUT)
    page.wait_for_selector(IDLE)


def shoot(page, name: str, at=None):
    """Screenshot the whole page: Streamlit scrolls inside its main area, so grow the window first;
    `at` (a locator) is scrolled to the top of the window first, for a part further down the page."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2400})
    # An element whose code is still loading shows a skeleton, and is not yet the chart it will be.
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")")
    for chart in page.locator("[data-testid='stPlotlyChart']").all():
        chart.locator(".main-svg").first.wait_for()  # plotly and the code highlighter load lazily
    for code in page.locator("[data-testid='stCode']").all():
        code.locator("code").first.wait_for()
    for table in page.locator("[data-testid='stDataFrame']").all():
        table.locator("canvas").first.wait_for()
    settle(page)
    if at is not None:
        at.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def params(name, **overrides) -> str:
    """The parameter count core gives, as the Parameters metric shows it."""
    from core.analysis import analyze
    return f"{analyze(name, **overrides).trace.total_params:,}"
