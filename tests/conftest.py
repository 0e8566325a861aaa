import json
import os
import pathlib

import pytest
import torch
from browser_support import ARTIFACTS, launch_chromium, streamlit_server  # noqa: F401 (ARTIFACTS: tests)
from hypothesis import HealthCheck, settings

ROOT = pathlib.Path(__file__).resolve().parents[1]


def shipped(network: str) -> pathlib.Path:
    """The shipped file the pages use for a network: its Fashion-MNIST checkpoint where that dataset
    is installed (and the file exists), else its digits one."""
    from core.data import PACKAGED_FASHION_MNIST
    fashion = ROOT / "assets" / f"{network}_fashion.safetensors"
    if PACKAGED_FASHION_MNIST.is_dir() and fashion.exists():
        return fashion
    return ROOT / "assets" / f"{network}_digits.safetensors"
# Copies of shared/reference/*.json, so the repository tests stand alone; test_reference_copy checks
# they still equal the shared ones where those are present. torchvision_more.json holds parameter
# counts only (ResNeXt, Wide ResNet, RegNet): their MACs are checked against FlopCounterMode.
REFERENCES = [pathlib.Path(__file__).with_name(name)
              for name in ("reference_figures.json", "torchvision_more.json")]
SHARED_REFERENCE = ROOT.parent / "shared" / "reference"

# Every session shares the web process's cached results: any reader that changes one fails the test
# that made it (app/services/caching.py). Set before the app is imported here or by a test's server.
os.environ.setdefault("CNN_EXPLORER_CACHE_CHECK", "1")

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)  # one thread per xdist worker: no oversubscription of the 2 cores

settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("slow", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def reference_figures() -> dict:
    """reference_figures.json, its "torchvision" entries joined by torchvision_more.json's."""
    figures, more = (json.loads(path.read_text()) for path in REFERENCES)
    figures["torchvision"].update(more["torchvision"])
    return figures


class _Hostile:
    """Unpickling this would create a marker file (a stand-in for running any code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def hostile_pickle(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """(a .pt file whose unpickling would run code, the marker file that code would create)."""
    marker, path = folder / "pwned", folder / "evil.pt"
    torch.save({"weights": torch.zeros(1), "payload": _Hostile(marker)}, path)
    return path, marker


# ---- browser tests: one server per test process (each pytest-xdist worker), one chromium per test
# module, a fresh context per test. A module that needs a server of its own (other settings, or one it
# kills) starts it itself. Chromium is not shared further: Playwright's sync API keeps an asyncio loop
# running while it is open, and the websocket clients of later modules (asyncio.run) then fail.
@pytest.fixture(scope="session")
def server():
    with streamlit_server(ROOT / "app" / "server.py") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    from browser_support import browser_context
    with browser_context(browser) as ctx:
        yield ctx
