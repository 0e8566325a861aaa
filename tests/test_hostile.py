"""A hostile student against one real server (`streamlit run app/server.py` on 127.0.0.1): each
vector of the hardening issue ends in a message for that user, the server's memory stays within the
job budget, and a second session's action completes normally meanwhile. Files are made here."""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

import psutil
import pytest
import torch
from browser_support import (
    CHECKPOINT_UPLOAD,
    METRIC,
    ROOT,
    TIMEOUT,
    browser_context,
    free_port,
    params,
    settle,
)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
ALERTS = "[data-testid='stAlert']"
IMAGE_UPLOAD = "[class*='st-key-attr-image'] input[type='file']"  # its key counts the refused images
MIB = 2**20


def server_process(url: str) -> psutil.Process:
    port = url.rsplit(":", 1)[1]
    return next(c for c in psutil.Process().children(recursive=True) if port in " ".join(c.cmdline()))


def server_rss(process: psutil.Process) -> int:
    """The web process's RSS and its engine's (the local Ray it started: the workers that compute)."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


@pytest.fixture
def two_sessions(browser):
    with browser_context(browser) as first, browser_context(browser) as second:
        yield [first.new_page(), second.new_page()]


def attack_and_check(server, pages, attack, message):
    """Run `attack` in the first session while the second opens Explore; then check the attacker got
    `message`, the other session its figures, and the server grew by less than a job's budget."""
    attacker, other = pages
    process = server_process(server)
    before = server_rss(process)
    attack(attacker)
    other.goto(f"{server}/?model=resnet18")
    settle(other, params("resnet18"))
    playwright.expect(attacker.locator(ALERTS, has_text=message).first).to_be_visible(timeout=TIMEOUT)
    assert attacker.locator("[data-testid='stException']").count() == 0
    assert server_rss(process) - before < 768 * MIB


def test_a_memory_link_at_2048_squared_is_refused_by_the_budget(server, two_sessions):
    """/memory?model=densenet121&h=2048&w=2048: RSS 0.76 -> 7.1 GB in 10.5 s before."""
    attack_and_check(server, two_sessions,
                     lambda page: page.goto(f"{server}/memory?model=densenet121&h=2048&w=2048"),
                     "MiB a job may use")


def test_a_deflated_pt_upload_is_refused_unexpanded(server, two_sessions, tmp_path):
    """3 MB on disk, 3 GB of RSS while torch.load expanded it."""
    plain, bomb = tmp_path / "plain.pt", tmp_path / "bomb.pt"
    torch.save({"w": torch.zeros(64 * MIB // 4)}, plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            dst.writestr(entry.filename, src.read(entry.filename))

    def upload(page):
        page.goto(f"{server}/connections")
        page.wait_for_selector("[data-testid='stFileUploaderDropzone']")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bomb))
    attack_and_check(server, two_sessions, upload, "compressed entries")


def test_training_at_1024_squared_is_refused_by_the_budget(server, two_sessions):
    """LeNet-BN at input_size=1024, in_channels=3: 1.7 -> 7.1 GB in 12 s before (the set resized whole)."""
    def train(page):
        page.goto(f"{server}/train?model=d2l_lenet_bn&set=input_size%3D1024%3Bin_channels%3D3&dataset=digits")
        page.locator(".st-key-train-start button").click()
    attack_and_check(server, two_sessions, train, "MiB a job may use")


def test_an_uploaded_checkpoints_bytes_leave_the_web_process(server, two_sessions, tmp_path):
    """A 150 MB upload held 151 MB of the web process's RSS for the whole session (Streamlit's
    uploaded-file store and the uploader's value both kept it). Once on disk its bytes go: the web
    process is back within 40 MB of where it was, and the upload is the chosen checkpoint."""
    upload = tmp_path / "big.safetensors"
    upload.write_bytes(os.urandom(150 * MIB))  # not a checkpoint: core says so, after it is saved
    attacker, other = two_sessions
    web = server_process(server)
    attacker.goto(f"{server}/connections")
    attacker.wait_for_selector(CHECKPOINT_UPLOAD, state="attached", timeout=TIMEOUT)
    settle(attacker)
    before = web.memory_info().rss
    attacker.locator(CHECKPOINT_UPLOAD).set_input_files(str(upload))
    # core read the saved file as the chosen checkpoint, and says what it is not
    said = attacker.locator(ALERTS, has_text="big.safetensors is not a valid").first
    playwright.expect(said).to_be_visible(timeout=TIMEOUT)
    other.goto(f"{server}/?model=resnet18")
    settle(other, params("resnet18"))
    deadline = time.monotonic() + 30
    while web.memory_info().rss - before > 40 * MIB:
        grown = (web.memory_info().rss - before) / MIB
        assert time.monotonic() < deadline, f"the web process holds {grown:.0f} MB more"
        time.sleep(1)


def test_a_13000_squared_png_is_refused_from_its_header(server, two_sessions, tmp_path):
    """0.5 MB on disk, 595 MB decoded before the pixel check."""
    from PIL import Image
    huge = tmp_path / "huge.png"
    Image.new("1", (13000, 13000)).save(huge)

    def upload(page):
        page.goto(f"{server}/attributions")
        page.wait_for_selector(IMAGE_UPLOAD, state="attached", timeout=TIMEOUT)
        page.locator(IMAGE_UPLOAD).set_input_files(str(huge))
    attack_and_check(server, two_sessions, upload, "too large")


def test_a_checkpoint_whose_metadata_asks_for_1024_squared_is_refused(server, two_sessions, tmp_path):
    """156 bytes whose metadata asks for LeNet at 1024² with 64 channels: the gallery resized every
    test image for it (0.76 -> 7.3 GB in 6 s). Its weights are checked against the model first."""
    from safetensors.torch import save_file
    lure = tmp_path / "lure.safetensors"
    save_file({"x": torch.zeros(1)}, str(lure),
              metadata={"family": "lenet", "config": '{"input_size": 1024, "in_channels": 64}'})

    def upload(page):
        page.goto(f"{server}/attributions")
        page.wait_for_selector(CHECKPOINT_UPLOAD, state="attached", timeout=TIMEOUT)
        page.locator(CHECKPOINT_UPLOAD).set_input_files(str(lure))
    attack_and_check(server, two_sessions, upload, "do not fit the architecture")


@pytest.mark.parametrize("link, shown", [
    ("/?model=densenet121&block_config=![x](http://127.0.0.9/t.png)", "block_config"),
    ("/compare?n=2&m1=densenet121&m2=resnet50&set1=width=[Click](https://example.com)", "width"),
    ("/?model=densenet121&h=²&growth_rate=inf", "growth_rate"),
    ("/train?model=d2l_lenet_bn&dataset=fashion-mnist:/etc&epochs=²", None),
    ("/compare?n=²&m1=densenet121", None),
])
def test_hostile_links_end_in_a_message_and_never_in_live_markdown(server, two_sessions, link, shown):
    attacker, other = two_sessions
    attacker.goto(f"{server}{link}")
    settle(attacker)
    other.goto(f"{server}/?model=resnet18")
    settle(other, params("resnet18"))
    assert attacker.locator("[data-testid='stException']").count() == 0
    main = attacker.locator("[data-testid='stMain']")
    assert main.locator("a[href*='example.com'], a[href*='127.0.0.9'], img[src*='127.0.0.9']").count() == 0
    assert "/etc" not in main.inner_text()
    if shown:
        playwright.expect(attacker.locator(ALERTS, has_text=shown).first).to_be_visible()


def test_no_other_site_may_frame_the_app_and_metrics_are_off(server):
    with urllib.request.urlopen(f"{server}/") as reply:
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server}/_stcore/metrics")
    assert refused.value.code == 404
    assert refused.value.headers["X-Frame-Options"] == "DENY"  # on refusals too


def test_a_64_layer_block_opens_as_its_matrix_without_a_layout(server, two_sessions):
    """densenet264 block 3: `dot` still ran after 400 s, pinning both cores."""
    attacker, other = two_sessions
    attacker.goto(f"{server}/?model=densenet264&expand=features.denseblock3")
    # the largest preset's first analysis, on a query worker that may still serve the tests before
    playwright.expect(attacker.locator(METRIC).first).to_have_text(params("densenet264"), timeout=120_000)
    settle(attacker)
    playwright.expect(attacker.get_by_text("2080 = L(L+1)/2")).to_be_visible()
    assert not [p for p in server_process(server).children(recursive=True) if p.name() == "dot"]
    other.goto(f"{server}/?model=resnet18")
    settle(other, params("resnet18"))  # served meanwhile, and no `dot` started behind it either
    assert not [p for p in server_process(server).children(recursive=True) if p.name() == "dot"]


def test_health_answers_only_once_the_warm_up_is_done():
    """A load balancer sends no student to a server whose first visits would still be slow."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "server.py"),
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "CNN_EXPLORER_WARMUP": "1", "CNN_EXPLORER_METRICS": "1"})
    codes, refusals = [], []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and 200 not in codes:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    codes.append(reply.status)
            except urllib.error.HTTPError as refused:
                codes.append(refused.code)
                refusals.append(refused.headers)
            except OSError:
                pass  # not listening yet
            time.sleep(0.5)
        # CNN_EXPLORER_METRICS=1 (a deployer whose port is not public) turns Streamlit's metrics on
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=10) as reply:
            metrics = (reply.status, reply.headers["X-Frame-Options"])
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert 503 in codes and codes[-1] == 200 and codes.index(200) > codes.index(503)
    assert all(headers["X-Frame-Options"] == "DENY" for headers in refusals)
    assert metrics == (200, "DENY")
