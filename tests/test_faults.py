"""Faults in the real app (headless chromium against `streamlit run`):
- the server is killed mid-session and restarted: reopening the same link restores what the URL holds;
- core rejects what a link asks for (an input too small for the model, a block with zero layers): the
  page shows core's message, not a traceback, and the next action works.
(A training run stopped by the user keeps its last checkpoint: tests/test_train.py.)"""
import browser_support
import psutil
import pytest
from browser_support import GROWTH, ROOT, TIMEOUT, params, settle, streamlit_server

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
APP = ROOT / "app" / "server.py"
ALERT = "[data-testid='stAlertContentError']"
TRACEBACK = "[data-testid='stException']"


@pytest.fixture
def page(browser):
    with browser_support.browser_context(browser, 1400, 900) as context:
        yield context.new_page()


def kill_server(url: str) -> None:
    """SIGKILL the `streamlit run` child serving `url`: no shutdown hooks, as in a crash or an OOM kill."""
    port = url.rsplit(":", 1)[1]
    server = next(c for c in psutil.Process().children(recursive=True) if port in c.cmdline())
    server.kill()
    server.wait(timeout=10)


def test_killed_and_restarted_server_restores_the_state_in_the_url(page, monkeypatch):
    with streamlit_server(APP) as url:
        page.goto(f"{url}/?model=densenet121")
        settle(page, params("densenet121"))
        growth = page.locator(GROWTH)
        growth.focus()
        growth.press("ArrowDown")
        settle(page, params("densenet121", growth_rate=31))
        page.get_by_role("tab", name="Channels").click()
        page.wait_for_url("**tab=channels**")
        settle(page)
        link = page.url
        kill_server(url)
    port = int(url.rsplit(":", 1)[1])
    monkeypatch.setattr(browser_support, "free_port", lambda: port)  # the restart takes the same port
    with streamlit_server(APP) as restarted:
        assert restarted == url
        page.goto(link)
        settle(page, params("densenet121", growth_rate=31))
        playwright.expect(page.locator(GROWTH)).to_have_value("31")
        playwright.expect(page.get_by_role("tab", name="Channels")).to_have_attribute("aria-selected", "true")
        assert page.url == link


@pytest.fixture(scope="module")
def server():
    with streamlit_server(APP) as url:
        yield url


def enter(page, key: str, text: str) -> None:
    """Type into the text or number box of the widget with this key, as a person would."""
    box = page.locator(f".st-key-{key.replace('.', '-')} input")
    box.fill(text)
    box.press("Enter")
    settle(page)


@pytest.mark.parametrize("model, query, message, action, changed", [
    # raised by the analysis: the feature map collapses
    ("densenet121", "h=16&w=16", "too small for densenet121", {"explore.height": "200"}, {}),
    # raised by the config: a dense block with no layers
    ("densenet121", "block_config=6,0,24,16", "densenet.block_config = 6,0,24,16",
     {"cfg.densenet.block_config": "6,12,24"}, {"block_config": "6,12,24"}),
])
def test_core_rejection_in_a_link_shows_the_preset_with_its_message_and_the_next_action_works(
        server, page, model, query, message, action, changed):
    page.goto(f"{server}/?model={model}&{query}")
    notice = page.locator("[data-testid='stAlertContentWarning']", has_text="This link asked for")
    playwright.expect(notice).to_contain_text(message, timeout=TIMEOUT)
    settle(page, params(model))  # the preset is shown, not a blank page
    assert page.locator(TRACEBACK).count() == 0
    for key, text in action.items():
        enter(page, key, text)
    settle(page, params(model, **changed))
    playwright.expect(page.locator(ALERT)).to_have_count(0)
    playwright.expect(notice).to_have_count(0)  # the notice was the link's, shown once
