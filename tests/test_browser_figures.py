"""What a class sees on a 1920×1080 projector: the figures issue's screenshots, each with the claim it
must show checked in the real page (test-artifacts/projector-*.png)."""
import pytest
from browser_support import ARTIFACTS, TIMEOUT, browser_context, params, settle, shoot

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def projector(browser):
    with browser_context(browser, 1920, 1080) as ctx:
        yield ctx


def test_densenet121_block3_opens_as_a_readable_connection_matrix(server, projector):
    page = projector.new_page()
    page.goto(f"{server}/?model=densenet121&expand=features.denseblock3")
    settle(page, params("densenet121"))
    playwright.expect(page.get_by_text("300 = L(L+1)/2")).to_be_visible()
    playwright.expect(page.locator("[data-testid='stPlotlyChart']")).to_be_visible()
    playwright.expect(page.get_by_role("button", name="Draw the full graph")).to_be_visible()
    box = page.locator("[data-testid='stPlotlyChart']").first.bounding_box()
    assert box["width"] <= 1920  # nothing wider than the page
    page.locator(".st-key-explore-graph_matrix .main-svg").first.wait_for()
    svg = _download(page, page.locator(".st-key-explore-graph_matrix-downloads button[data-format='svg']"))
    assert "densenet121 · input 3×224×224".encode() in svg  # the matrix, for a slide, with its caption
    shoot(page, "projector-densenet121-block3")


def open_connections(server, projector, query: str):
    page = projector.new_page()
    page.goto(f"{server}/connections?{query}")
    # A first visit computes attributions over ten images: slow on two busy cores.
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=3 * TIMEOUT)
    settle(page)
    return page


def test_connections_page_on_a_projector(server, projector):
    page = open_connections(server, projector, "norm=target")
    playwright.expect(page.get_by_text("The paper's four observations")).to_be_visible()
    shoot(page, "projector-connections")


def test_memory_in_bf16_with_adamw(server, projector):
    page = projector.new_page()
    page.goto(f"{server}/memory?model=d2l_densenet&batch=32&dtype=bf16&opt=adamw")
    playwright.expect(page.locator("[data-testid='stMetricLabel']").first).to_contain_text(
        "bf16", timeout=TIMEOUT)
    page.wait_for_selector("[data-testid='stPlotlyChart']")
    settle(page)
    shoot(page, "projector-memory-bf16")


def test_a_bad_shared_link_shows_the_preset_and_says_why(server, projector):
    page = projector.new_page()
    page.goto(f"{server}/?model=densenet121&growth_rate=10000&block_config=![x](http://127.0.0.9/t.png)")
    settle(page, params("densenet121"))
    notice = page.locator("[data-testid='stAlert']", has_text="This link asked for")
    playwright.expect(notice).to_contain_text("growth_rate = 10000")
    shown = notice.inner_text().replace("\u2060", "")  # word joiners keep URLs from being linked
    assert "![x](http://127.0.0.9/t.png)" in shown  # shown as text
    assert notice.locator("a").count() == 0 and page.locator("img[src*='127.0.0.9']").count() == 0
    shoot(page, "projector-bad-link")


def test_a_chinese_error(server, projector):
    page = projector.new_page()
    page.goto(f"{server}/?model=d2l_vgg11&lang=zh&input_size=8")
    settle(page, "参数量", "[data-testid='stMetricLabel']")
    notice = page.locator("[data-testid='stAlert']").first
    playwright.expect(notice).to_contain_text("被减半 5 次后什么也不剩")
    shoot(page, "projector-zh-error")


def test_compare_densenet_resnet_and_regnet(server, projector):
    """Beyond the chapter: DenseNet's few MACs against ResNet's and RegNet's, one table."""
    page = projector.new_page()
    page.goto(f"{server}/compare?n=3&m1=densenet121&m2=resnet50&m3=regnet_x_3_2gf")
    page.wait_for_selector("[data-testid='stTable']", timeout=TIMEOUT)
    settle(page)
    table = page.locator("[data-testid='stTable']").first
    for name, params_shown in (("regnet_x_3_2gf", "15,296,552"), ("resnet50", "25,557,032")):
        playwright.expect(table).to_contain_text(name)
        playwright.expect(table).to_contain_text(params_shown)
    # The part-by-part chart of the first two, for a slide, names both models at their inputs
    page.locator(".st-key-compare-arch_curve .main-svg").first.wait_for()
    svg = _download(page, page.locator(".st-key-compare-arch_curve-downloads button[data-format='svg']"))
    assert "densenet121 at 3×224×224 · resnet50 at 3×224×224".encode() in svg
    shoot(page, "projector-compare-regnet")


def test_one_shot_aggregation_heatmap_beside_the_dense_one(server, projector):
    """VoVNet's OSA: one cell per layer column, a full transition column."""
    page = open_connections(server, projector,
                            "ckpt=vovnet_osa_digits&norm=target&beside=densenet_fig5_digits")  # old names
    caption = page.get_by_text("growth rate k = 12, 12 layers · one-shot aggregation")
    playwright.expect(caption).to_have_count(3)  # one per block
    # 3 blocks × (weights, attributions), then 3 blocks × (this checkpoint, the dense one beside it)
    playwright.expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(12)
    playwright.expect(page.get_by_text("Dense block 1 · densenet_fig5")).to_be_visible()
    assert "ckpt=vovnet_osa&" in page.url + "&"
    shoot(page, "projector-connections-osa")


TEXT_HEIGHTS = """() => [...document.querySelectorAll('.graph-svg svg g.node text')]
    .map(t => t.getBoundingClientRect().height).sort((a, b) => a - b)"""


def test_presentation_mode_graph_readable_from_the_back_row(server, projector):
    """`present=1` at 1920×1080: no sidebar, densenet121's block graph with text at least 18 px high
    (the median label's box, measured in the page), the share of the width it uses reported; the
    zoom buttons change it; a click on a dense block opens it in place; the link keeps present=1."""
    page = projector.new_page()
    page.goto(f"{server}/?model=densenet121&present=1")
    settle(page)
    playwright.expect(page.locator("section[data-testid='stSidebar']")).to_be_hidden()
    playwright.expect(page.get_by_role("button", name="Leave presentation mode")).to_be_visible()
    sizes = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMain'] "
        + "[data-testid='stMarkdownContainer'] p")].map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert min(sizes) >= 1.5 * 14  # the page's smallest text (captions: 14 px), half as large again
    graph = page.locator(".graph-svg svg")
    playwright.expect(graph).to_be_visible()
    heights = page.evaluate(TEXT_HEIGHTS)
    median = heights[len(heights) // 2]
    share = graph.bounding_box()["width"] / 1920
    print(f"presentation mode: graph text {median:.1f} px high (median of {len(heights)}), "
          f"graph {share:.0%} of the page's width")
    assert median >= 18
    shoot(page, "projector-present-graph")
    page.locator(".graph-svg-tools button[data-action='in']").click()
    assert page.evaluate(TEXT_HEIGHTS)[len(heights) // 2] == pytest.approx(median * 1.25, rel=0.05)
    page.locator(".graph-svg-tools button[data-action='fit']").click()
    fitted = graph.bounding_box()
    assert fitted["width"] <= 1920 and fitted["height"] <= 0.81 * 1080
    page.locator(".graph-svg svg g.node:has(title:text-is('features.denseblock1'))").click()
    page.wait_for_url("**expand=features.denseblock1**", timeout=TIMEOUT)
    assert "present=1" in page.url
    settle(page)
    playwright.expect(page.locator(".graph-svg svg g.node:has(title:text-is("
                                   "'features.denseblock1.denselayer6'))").first).to_be_attached()
    page.get_by_role("button", name="Leave presentation mode").click()
    settle(page)
    playwright.expect(page.locator("section[data-testid='stSidebar']")).to_be_visible()
    assert "present=1" not in page.url
    page.goto(f"{server}/?model=densenet121&present=1&lang=zh&node=features.transition2")
    settle(page)
    playwright.expect(page.get_by_role("button", name="退出演示模式")).to_be_visible()
    playwright.expect(page.locator(".graph-svg svg")).to_be_visible()
    playwright.expect(page.get_by_text("图中选中的节点：它在逐层表中的行")).to_be_visible()
    shoot(page, "projector-present-graph-zh")


def _download(page, locator) -> bytes:
    with page.expect_download(timeout=TIMEOUT) as info:
        locator.click()
    return open(info.value.path(), "rb").read()


def test_slides_of_the_graph_and_the_channel_chart(server, projector, tmp_path):
    """The graph and the channel chart download as SVG and as PNG at twice their size on screen, with
    a caption naming the model, its changed hyperparameter and its input; the graph's SVG draws its
    text as outlines (it looks the same on a machine without the font). The files, opened outside the
    app, are screenshot for a person to look at (projector-slide-*.png)."""
    import base64
    import io
    import re
    from pathlib import Path

    import streamlit
    from PIL import Image
    caption = "densenet121 · growth_rate = 12 · input 3×224×224"
    page = projector.new_page()
    page.goto(f"{server}/?model=densenet121&growth_rate=12")
    settle(page, params("densenet121", growth_rate=12))
    svg = _download(page, page.get_by_role("button", name="Download SVG for slides"))
    png = _download(page, page.get_by_role("button", name="Download PNG for slides"))
    assert svg.startswith(b"<?xml") and b"<text" not in svg and b"<symbol" in svg  # glyphs as paths
    # the drawing's own size on screen is 4/3 px per point; the PNG is twice that
    points = float(re.search(rb'<svg[^>]* width="([0-9.]+)pt"', svg).group(1))
    assert Image.open(io.BytesIO(png)).size[0] == pytest.approx(2 * points * 4 / 3, abs=3)
    (tmp_path / "graph.svg").write_bytes(svg)
    page.get_by_role("tab", name="Channels").click()
    settle(page)
    chart = page.locator(".st-key-explore-channels_chart .js-plotly-plot")
    chart.locator(".main-svg").first.wait_for()  # plotly draws after the script's run
    buttons = ".st-key-explore-channels_chart-downloads button[data-format='{}']"
    chart_svg = _download(page, page.locator(buttons.format("svg")))
    chart_png = _download(page, page.locator(buttons.format("png")))
    assert caption.encode() in chart_svg
    # Its text's font is in it: Streamlit's own Source Sans file, as data.
    font = re.search(rb'@font-face\{font-family:"Source Sans";[^}]*url\(data:font/woff2;base64,([^)]+)\)',
                     chart_svg)
    shipped = next((Path(streamlit.__file__).parent / "static").rglob("SourceSansVF-Upright*.woff2"))
    assert font and base64.b64decode(font.group(1)) == shipped.read_bytes()
    assert b"font-family: 'Source Sans'" in chart_svg
    width, height = Image.open(io.BytesIO(chart_png)).size
    box = chart.bounding_box()
    assert width == pytest.approx(2 * box["width"], abs=4) and height > 2 * box["height"]
    (tmp_path / "channels.svg").write_bytes(chart_svg)
    outside = projector.new_page()  # the files as an image viewer shows them: not through the app
    for name in ("graph", "channels"):
        data = base64.b64encode((tmp_path / f"{name}.svg").read_bytes()).decode()
        outside.set_content(f'<img style="max-width: 1900px" src="data:image/svg+xml;base64,{data}">')
        outside.locator("img").screenshot(path=str(ARTIFACTS / f"projector-slide-{name}.png"))
    (ARTIFACTS / "projector-slide-channels-2x.png").write_bytes(chart_png)
