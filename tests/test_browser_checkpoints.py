"""The checkpoint pages in headless chromium: Connections draws the shipped checkpoint's heatmaps,
Train runs, stops and hands its checkpoint to Connections; screenshots of every page land in
test-artifacts/ (git-ignored)."""
import pytest
from browser_support import settle, shoot

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
TIMEOUT = 240_000  # the first attribution map and a training run take a while on a busy 2-core box
CHART = "[data-testid='stPlotlyChart']"
HEATMAP = f"{CHART} .heatmaplayer image"


def idle(page, selector: str, count: int):
    playwright.expect(page.locator(selector)).to_have_count(count, timeout=TIMEOUT)
    settle(page)


def test_connections_draws_the_shipped_heatmaps(server, context):
    page = context.new_page()
    page.goto(f"{server}/connections")
    idle(page, CHART, 6)  # 3 dense blocks × (weights, attributions)
    playwright.expect(page.locator(HEATMAP).first).to_be_visible()
    playwright.expect(page.get_by_text("Dense block 1 · Weight-based (paper Fig. 5)")).to_be_visible()
    assert "ckpt=densenet_fig5&" in page.url + "&"
    shoot(page, "connections")
    page.locator(".st-key-conn-normalize button", has_text="÷ column maximum").click()
    page.wait_for_url("**norm=target**")
    settle(page)
    page.locator(".st-key-lang button", has_text="中文").click()
    page.wait_for_url("**lang=zh**")
    idle(page, CHART, 6)
    shoot(page, "connections-zh")


def test_attributions_and_memory_pages(server, context):
    page = context.new_page()
    page.goto(f"{server}/attributions?method=saliency")
    idle(page, CHART, 3)  # the gallery, an image's stages, its effective field
    playwright.expect(page.get_by_text("Saliency (|gradient|): bright")).to_be_visible()
    shoot(page, "attributions")
    inside = page.get_by_text("Inside the network: an image, stage by stage")
    playwright.expect(inside).to_be_visible()
    playwright.expect(page.get_by_text("How far one output of features.conv0 sees")).to_be_visible()
    shoot(page, "attributions-inside", at=inside)
    page.goto(f"{server}/memory?model=d2l_densenet")
    idle(page, CHART, 3)
    playwright.expect(page.get_by_text("This server has no CUDA GPU")).to_be_visible()
    shoot(page, "memory")


def test_train_then_open_in_connections(server, context):
    page = context.new_page()
    # the smallest 3-block DenseNet on digits: one epoch in seconds even on a busy machine
    page.goto(f"{server}/train?model=densenet40_k12&set=block_config%3D2%2C2%2C2&epochs=1&dataset=digits")
    settle(page)
    page.get_by_role("button", name="Start training").click()
    # the Stop button of the run (the header's own "Stop" shows while a script runs)
    playwright.expect(page.locator(".st-key-train-stop button")).to_be_visible(timeout=TIMEOUT)
    playwright.expect(page.get_by_text("Finished: test accuracy")).to_be_visible(timeout=TIMEOUT)
    idle(page, CHART, 3)  # loss, accuracy, memory during the run
    playwright.expect(page.get_by_text("Memory now: worker process, resident (RSS)")).to_be_visible()
    shoot(page, "train")
    # the loss curve for a slide: its caption names the run's model, change and trained weights
    with page.expect_download(timeout=TIMEOUT) as download:
        page.locator(".st-key-train-loss_chart-downloads button[data-format='svg']").click()
    svg = open(download.value.path(), "rb").read().decode()
    assert "densenet40_k12 · block_config = 2,2,2 · input 3×8×8 · trained on digits, test accuracy 0." in svg
    page.get_by_role("button", name="Open in Connections").click()
    page.wait_for_url("**ckpt=trained**", timeout=TIMEOUT)
    idle(page, CHART, 6)
    playwright.expect(page.locator(HEATMAP).first).to_be_visible()


def test_explore_inside_a_trained_network(server, context):
    """Explore's Inside tab on the shipped Fig. 5 network (its link: densenet40_k12 with one input
    channel at 28×28): trained weights named, an image picked by class, then a layer, its maps drawn."""
    from conftest import shipped

    from core.checkpoints import load_checkpoint
    from core.feature_maps import layers
    page = context.new_page()
    page.goto(f"{server}/?model=densenet40_k12&in_channels=1&h=28&w=28&tab=inside")
    idle(page, CHART, 2)  # the stage's maps and the effective field
    checkpoint = shipped("densenet_fig5")
    playwright.expect(page.get_by_text(f"Trained weights: {checkpoint.name}")).to_be_visible()
    page.locator(".st-key-inside-image").click()
    page.get_by_role("option").nth(7).click()  # the 8th class: Sneaker (Fashion-MNIST) or 7 (digits)
    settle(page)
    page.locator(".st-key-inside-every label").click()
    settle(page)
    page.locator(".st-key-inside-point input[type='range']").focus()
    page.keyboard.press("End")
    last = layers(load_checkpoint(checkpoint).config, (1, 28, 28))[-1]
    title = page.get_by_text(f"After {last}: output")
    playwright.expect(title).to_be_visible(timeout=TIMEOUT)
    idle(page, CHART, 2)
    picked = page.locator(".st-key-inside-image input").input_value() or \
        page.locator(".st-key-inside-image input").get_attribute("aria-label") or ""
    assert picked.startswith("test image: ") and picked != "test image: T-shirt/top", picked
    shoot(page, "explore-inside", at=page.get_by_text("Inside the network: an image, stage by stage"))
