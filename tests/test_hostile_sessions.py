"""The hardening issue's session vectors replayed against one real server (`streamlit run
app/server.py` on 127.0.0.1), mostly driven at Streamlit's websocket protocol as browsers drive it
(bench/protocol.py): a training run whose browser closed stops, an upload's folder goes once its
browser left, and a stream of distinct memory estimates leaves the server's memory flat, while another
session's page loads normally."""
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from browser_support import (
    CHECKPOINT_UPLOAD,
    ROOT,
    TIMEOUT,
    browser_context,
    launch_chromium,
    streamlit_server,
)

from app.services.checkpoints import HOST
from bench.load import server_process
from bench.protocol import Session, number, press

pytestmark = pytest.mark.browser  # a real server, like the browser tests
UNWATCHED_S = 3
MIB = 2**20
USER_HEADER = "X-Auth-Request-User"  # as an authenticating proxy in front of the server sets it


@pytest.fixture(scope="module")
def served():
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CNN_EXPLORER_UNWATCHED_S", str(UNWATCHED_S))
        env.setenv("CNN_EXPLORER_USER_HEADER", USER_HEADER)
        env.setenv("CNN_EXPLORER_TRAIN_PER_USER", "1")
        with streamlit_server(ROOT / "app" / "server.py") as base:
            yield base, server_process(base)


def job_workers(web: psutil.Process) -> list[psutil.Process]:
    """The engine's job actors (a training run's worker process) under this server."""
    found = []
    for p in web.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if p.cmdline()[:1] == ["ray::_JobActor"]:
                found.append(p)
    return found


def total_rss(web: psutil.Process) -> int:
    total = 0
    for p in [web, *web.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


async def explore_loads(base: str) -> None:
    other = Session(base, 120)
    run = await other.open("model=resnet18")
    await other.close()
    assert not run.exceptions and not run.errors


def test_a_run_whose_browser_closed_stops_and_frees_its_worker(served):
    """Before: 200 epochs went on at a full core 330 s after the tab closed (Streamlit keeps a closed
    tab's session for a reconnect and frees it lazily). Now the run stops UNWATCHED_S after its last
    browser left, and its worker (and training slot) is freed without anyone polling it."""
    base, web = served

    async def scenario():
        trainer = Session(base, 120)
        await trainer.open("model=densenet40_k12&set=block_config%3D2%2C2%2C2&epochs=200", page="train")
        started = await trainer.rerun([press(trainer.widgets["train.start"])])
        assert not started.exceptions and not started.errors
        deadline = time.monotonic() + 60
        while not job_workers(web):
            assert time.monotonic() < deadline, "the run's worker never started"
            await asyncio.sleep(0.5)
        worker = job_workers(web)[0]
        await asyncio.sleep(3)
        busy = worker.cpu_times()
        await asyncio.sleep(2)
        assert sum(worker.cpu_times()[:2]) > sum(busy[:2])  # training
        await trainer.close()
        await explore_loads(base)  # another session meanwhile
        deadline = time.monotonic() + UNWATCHED_S + 60  # the watch's period, the batch in progress
        while job_workers(web):
            assert time.monotonic() < deadline, "the unwatched run's worker is still there"
            await asyncio.sleep(1)
    asyncio.run(scenario())


def test_an_uploads_folder_goes_once_its_browser_left_and_anothers_stays(served, tmp_path):
    """A 190 MB upload stayed in /tmp after its session ended (still there 200 s after its tab
    closed: Streamlit frees a closed tab's session lazily). Now its session's folder goes UNWATCHED_S
    after its last browser left, while another session's upload stays and its page works."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    base, web = served
    root = Path(tempfile.gettempdir()) / f"cnn-explorer-{HOST}-{web.pid}"  # the server's UPLOADS_ROOT
    upload = tmp_path / "mine.safetensors"
    upload.write_bytes((ROOT / "assets" / "densenet_fig5_digits.safetensors").read_bytes())

    def chosen(page):
        return page.get_by_role("combobox", name="Checkpoint")

    def uploaded(context):
        page = context.new_page()
        page.goto(f"{base}/connections")
        page.locator(CHECKPOINT_UPLOAD).set_input_files(str(upload))
        expect(chosen(page)).to_have_value("Uploaded: mine.safetensors", timeout=TIMEOUT)
        return page

    # Its own Chromium, closed before the other tests: the sync API holds an event loop meanwhile.
    with sync_api.sync_playwright() as p, contextlib.closing(launch_chromium(p)) as browser, \
            browser_context(browser) as leaving, browser_context(browser) as staying:
        uploaded(leaving)
        page = uploaded(staying)
        files = set(root.glob("session-*/upload-*/mine.safetensors"))
        assert len(files) == 2
        leaving.close()
        deadline = time.monotonic() + UNWATCHED_S + 60  # the watch's period, a slow machine
        while len(set(root.glob("session-*/upload-*/mine.safetensors"))) == 2:
            assert time.monotonic() < deadline, "the closed session's upload is still on disk"
            time.sleep(1)
        (gone,) = files - set(root.glob("session-*/upload-*/mine.safetensors"))
        assert not gone.parent.parent.exists()  # the session's folder, not only the file
        page.get_by_text("÷ column maximum").click()  # the session still open works on its upload
        expect(page.get_by_text("column maximum").last).to_be_visible(timeout=TIMEOUT)
        assert page.locator("[data-testid='stException']").count() == 0
        expect(chosen(page)).to_have_value("Uploaded: mine.safetensors", timeout=TIMEOUT)
        assert len(set(root.glob("session-*/upload-*/mine.safetensors"))) == 1


def test_distinct_memory_estimates_leave_the_servers_memory_flat(served):
    """Before: 80 Compare links with distinct configs took the server 885 -> 1,414 MB for good (the
    estimate's saved-tensor hooks kept ~1.35 MB a call). Caches are bounded and the estimate frees
    what it traced: after a warm-up, 60 more distinct estimates grow web + engine by < 10 %."""
    base, web = served

    async def estimates(session, widths):
        for width in widths:
            run = await session.rerun([number(session.widgets["cfg.resnet.width"], width)])
            assert not run.exceptions and not run.errors, (width, run.errors)
            assert any(label.startswith("Training memory, peak") for label in run.metrics), run.metrics

    async def scenario():
        session = Session(base, 120)
        await session.open("model=resnet18&h=64&w=64&memory=true")
        await estimates(session, range(16, 36))  # warm-up: every worker has traced and estimated
        before = total_rss(web)
        await estimates(session, range(36, 96))
        await session.close()
        return before, total_rss(web)
    before, after = asyncio.run(scenario())
    print(f"web + engine RSS {before / MIB:.0f} -> {after / MIB:.0f} MiB")
    assert after < before * 1.10
    asyncio.run(explore_loads(base))


def test_the_user_is_the_one_the_deployers_proxy_names(served):
    """With CNN_EXPLORER_USER_HEADER, a user's share of training runs follows the header over every
    tab, whatever their address: alice's second tab is refused past her one run, bob (same address)
    starts his."""
    base, web = served
    link = "model=densenet40_k12&set=block_config%3D2%2C2%2C2&epochs=200"

    async def start(user: str):
        tab = Session(base, 120, headers={USER_HEADER: user})
        await tab.open(link, page="train")
        return tab, await tab.rerun([press(tab.widgets["train.start"])])

    async def scenario():
        tabs = []
        try:
            for user in ("alice", "alice", "bob"):
                tab, run = await start(user)
                tabs.append(tab)
                assert not run.exceptions, run.exceptions
                yield user, run.errors
        finally:
            for tab in tabs:
                await tab.close()

    async def collect():
        return [item async for item in scenario()]

    (_, first), (_, second), (_, bob) = asyncio.run(collect())
    assert first == [] and bob == []
    assert len(second) == 1 and second[0].startswith("You already have 1 runs"), second
    deadline = time.monotonic() + 60
    while job_workers(web):  # the tabs closed: their runs stop UNWATCHED_S later
        assert time.monotonic() < deadline, "the runs of closed tabs went on"
        time.sleep(0.5)

