"""AppTest of the Compare page: table and charts equal core's figures; errors stay beside their slot."""
import re

import pytest
from app_support import errors, figure, start, widget

import core
from app.components.reference import DEPTH_SERIES, IMAGENET_TOP1
from core.analysis import analyze
from core.memory import estimate

COMPARE = "views/compare.py"


@pytest.fixture(scope="module")
def page():
    return start(page=COMPARE)


def test_default_table_equals_core(page):
    table = page.table[0].value
    memory = "Training memory (MiB)"
    for row, name in zip(table.to_dict("records"), ("resnet50", "densenet121"), strict=True):
        a = analyze(name)
        assert row["Model"] == name
        assert row["Parameters"] == f"{a.trace.total_params:,}"
        assert row["Depth (conv + linear layers)"] == a.depth
        assert row[memory] == f"{estimate(name, batch=32).to_dict()['peak_mib']:,.0f}"
    assert "batch 32, fp32, SGD" in " ".join(c.value for c in page.caption)


def titled(at, start: str) -> dict:
    """The page's figure whose title starts so (their order changes as the page grows)."""
    return next(f for f in (figure(at, i) for i in range(len(at.get("plotly_chart"))))
                if f["layout"]["title"]["text"].startswith(start))


def test_params_vs_depth_chart_equals_core(page):
    depth = titled(page, "ResNet vs DenseNet: parameters against depth")
    assert [trace["text"] for trace in depth["data"]] == list(DEPTH_SERIES.values())
    for trace in depth["data"]:
        analyses = [analyze(name) for name in trace["text"]]
        assert trace["x"] == [a.depth for a in analyses]
        assert trace["y"] == pytest.approx([a.trace.total_params / 1e6 for a in analyses])


def test_published_accuracy_is_a_labelled_cited_reference(page):
    accuracy = titled(page, "Published ImageNet top-1 accuracy")
    plotted = {n: y for trace in accuracy["data"] for n, y in zip(trace["text"], trace["y"], strict=True)}
    assert plotted == {n: IMAGENET_TOP1[n] for n in plotted}
    assert set(plotted) == set(IMAGENET_TOP1) - {"densenet161"}
    notes = " ".join(a["text"] for a in accuracy["layout"]["annotations"])
    assert "torchvision model cards (ImageNet-1k val, single crop)" in notes
    assert "reference" in accuracy["layout"]["title"]["text"]


def test_bar_chart_follows_the_metric_choice():
    at = start(page=COMPARE)
    widget(at, "compare.metric").set_value("Depth (conv + linear layers)").run()
    assert figure(at, 0)["data"][0]["y"] == [50, 121]


@pytest.mark.parametrize("count", [3, 4])
def test_three_or_four_models(count):
    at = start(page=COMPARE)
    widget(at, "compare.count").set_value(count).run()
    assert not at.exception
    assert len(at.table[0].value) == count
    assert at.query_params["n"] == str(count)


def test_custom_config_equals_core():
    at = start(page=COMPARE)
    widget(at, "compare.set2").set_value("growth_rate=12; block_config=6,12,24").run()
    row = at.table[0].value.to_dict("records")[1]
    expected = analyze("densenet121", growth_rate=12, block_config=(6, 12, 24))
    assert row["Parameters"] == f"{expected.trace.total_params:,}"


@pytest.mark.parametrize("text", ["growth_rate=0", "growth_rat=12", "growth_rate"])
def test_bad_changes_show_an_error_without_exception(text):
    at = start(page=COMPARE)
    widget(at, "compare.set2").set_value(text).run()
    assert not at.exception
    assert len(errors(at)) == 1
    assert len(at.table[0].value) == 1  # the valid model is still compared
    if "=" in text:
        with pytest.raises(core.ConfigError) as rejected:
            core.get_config("densenet121", **dict([text.split("=")]))
        assert errors(at) == [rejected.value.message]


def test_a_model_deeper_than_the_server_analyses_is_refused_beside_its_slot():
    """Six dense blocks of 128 layers took a query worker 7 s each, four to a page: the server refuses
    such a config before it runs (CNN_EXPLORER_QUERY_DEPTH), says why in the reader's language, and
    compares the rest."""
    link = {"n": "2", "m1": "resnet50", "m2": "densenet121", "set2": "block_config=" + ",".join(["128"] * 6)}
    at = start(link, page=COMPARE)
    assert not at.exception and len(at.table[0].value) == 1
    assert errors(at) == ["this model's lists hold 768 blocks or layers; this server analyses at most 256 "
                          "(densenet264 has 130): use fewer, or run python -m core on your own machine"]
    zh = start({**link, "lang": "zh"}, page=COMPARE)
    assert errors(zh)[0].startswith("这个模型的列表共有 768 个块或层；本服务器最多分析 256 个")


def test_the_first_two_models_part_by_part_with_their_differences_marked():
    """ResNet-50 against DenseNet-121: two tables with the same rows pair their parts by side (core's
    sections), say add against concatenate, mark the cells that differ, and the chart puts both
    channel curves on one axis pair."""
    from core.analysis.sections import channel_curve, sections
    at = start({"n": "2", "m1": "resnet50", "m2": "densenet121"}, page=COMPARE)
    assert not at.exception
    (resnet, resnet_marks), (densenet, densenet_marks) = part_tables(at)
    parts = ["Stem", "Stage at 56×56", "Transition to 28×28", "Stage at 28×28", "Transition to 14×14",
             "Stage at 14×14", "Transition to 7×7", "Stage at 7×7", "Head"]
    assert list(resnet["Part"]) == list(densenet["Part"]) == parts
    assert list(resnet) == ["Part", "joins paths by", "blocks or layers", "output channels", "parameters"]
    stages = [i for i, p in enumerate(parts) if p.startswith("Stage")]
    assert [resnet["joins paths by"][i] for i in stages] == ["add"] * 4
    assert [densenet["joins paths by"][i] for i in stages] == ["concatenate"] * 4
    assert [resnet["blocks or layers"][i] for i in stages] == ["3 blocks", "4 blocks", "6 blocks", "3 blocks"]
    assert [densenet["blocks or layers"][i] for i in stages] == ["6 layers", "12 layers", "24 layers",
                                                                 "16 layers"]
    assert resnet["joins paths by"][2] == "–"  # a ResNet has no transition layer
    stage_params = [p["params"] for p in sections(analyze("densenet121").trace) if p["role"] == "stage"]
    assert [densenet["parameters"][i] for i in stages] == [f"{p:,}" for p in stage_params]
    # the cells that differ are marked: the stems are alike; at 56×56 everything but the 256 channels
    for marks in (resnet_marks, densenet_marks):
        assert not marks[0] and marks[1] == {1, 2, 4}
    chart = titled(at, "Channels each convolution reads")
    assert [trace["name"] for trace in chart["data"]] == ["resnet50", "densenet121"]
    assert chart["data"][1]["y"] == [p["channels"] for p in channel_curve(analyze("densenet121").trace)]
    assert chart["layout"]["xaxis"]["title"]["text"].startswith("Depth")
    assert chart["layout"]["yaxis"]["title"]["text"] == "Input channels"
    zh = start({"n": "2", "m1": "resnet50", "m2": "densenet121", "lang": "zh"}, page=COMPARE)
    assert part_tables(zh)[1][0]["路径汇合方式"][1] == "拼接"


def part_tables(at) -> list[tuple[dict[str, list[str]], list[set[int]]]]:
    """The two part-by-part tables as shown: per model, {column: cells} with the markdown escapes
    undone, and per row the columns whose cell is marked as differing."""
    from app.components.architecture_diff import HIGHLIGHT
    mark_open, mark_close = HIGHLIGHT.split("{}")
    found = []
    for block in (m.value for m in at.markdown if "| --- |" not in m.value and "|---|" in m.value):
        lines = [line.strip("| ") for line in block.splitlines() if line.startswith("|")]
        header, rows = lines[0].split(" | "), [line.split(" | ") for line in lines[2:]]
        marks = [{i for i, c in enumerate(row) if c.startswith(mark_open) and c.endswith(mark_close)}
                 for row in rows]
        plain = [[re.sub(r"\\(.)", r"\1", c.removeprefix(mark_open).removesuffix(mark_close)) for c in row]
                 for row in rows]
        found.append(({re.sub(r"\\(.)", r"\1", name): [row[i] for row in plain]
                       for i, name in enumerate(header)}, marks))
    assert len(found) == 2, f"expected the two part-by-part tables, found {len(found)}"
    return found


def test_url_round_trip_restores_the_same_state():
    at = start(page=COMPARE)
    widget(at, "compare.count").set_value(3).run()
    widget(at, "compare.model3").set_value("densenet_bc100_k12").run()
    widget(at, "compare.set1").set_value("width=32").run()
    widget(at, "compare.metric").set_value("Multiply-accumulates (billions, GMACs)").run()
    link = dict(at.query_params)
    again = start(link, page=COMPARE)
    assert dict(again.query_params) == link
    assert again.table[0].value.equals(at.table[0].value)
    assert figure(again, 0) == figure(at, 0)


def test_chinese_page_renders_and_keeps_the_metric_choice():
    at = start({"lang": "zh", "m1": "resnet50", "m2": "densenet121", "metric": "depth"}, page=COMPARE)
    assert at.title[0].value == "比较模型"
    assert figure(at, 0)["data"][0]["y"] == [50, 121]
    widget(at, "lang").set_value("en").run()
    assert not at.exception
    assert at.query_params["metric"] == "depth"
    assert figure(at, 0)["layout"]["yaxis"]["title"]["text"] == "Depth (conv + linear layers)"


def test_compare_says_why_densenet_needs_fewer_parameters_with_the_compared_models_numbers():
    at = start({"n": "2", "m1": "resnet50", "m2": "densenet121"}, page=COMPARE)
    text = "\n".join(m.value for m in at.markdown)
    dense, res = analyze("densenet121").to_dict(), analyze("resnet50").to_dict()
    widths = [r["output_shape"][1] for r in res["layers"] if r["type"] == "Conv2d"]
    assert f"**resnet50**: {res['depth']} layers" in text
    assert f"write {min(widths)}–{max(widths)} channels" in text
    assert "k = 32 new channels" in text and f"**densenet121**: {dense['depth']} layers" in text
    assert "feature reuse" in text
    at = start({"n": "2", "m1": "vgg16", "m2": "alexnet"}, page=COMPARE)
    assert not any("feature reuse" in m.value for m in at.markdown)


def test_speed_table_is_cores_roofline_beside_the_h100_measurement(page):
    """resnet50 against densenet121: fewer FLOPs, more bytes moved, slower (predicted and measured)."""
    from core.roofline import roofline
    speed = page.table[1].value.to_dict("records")
    for row, name, measured in zip(speed, ("resnet50", "densenet121"), ("1,698", "1,154"), strict=True):
        report = roofline(analyze(name).layers, "h100", "fp32", 64)
        assert row["Model"] == name
        assert row["MB moved per example (forward)"] == f"{report['bytes'] / 64 / 1e6:,.0f}"
        assert row["predicted training examples/s"] == f"{report['training_examples_per_second']:,.0f}"
        assert row["measured examples/s (H100)"] == measured
    assert float(speed[1]["GFLOPs per example (forward)"]) < float(speed[0]["GFLOPs per example (forward)"])
    assert "Roofline model" in " ".join(c.value for c in page.caption)


def test_the_laptop_gpu_has_a_prediction_and_no_measurement():
    at = start({"m1": "resnet50", "m2": "densenet121", "gpu": "rtx4060_laptop"}, page=COMPARE)
    speed = at.table[1].value.to_dict("records")
    assert {row["measured examples/s (H100)"] for row in speed} == {"–"}
    assert at.query_params["gpu"] == "rtx4060_laptop"
    assert "RTX 4060 Laptop GPU specifications" in " ".join(c.value for c in at.caption)
