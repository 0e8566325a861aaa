"""AppTest of the Explore page: the real script, the real core, widgets found by key."""
import json
import re
import shutil

import numpy as np
import pytest
from app_support import errors, figure, metric_values, plotted, redraw, shown_text, start, widget

import core
from app.components import graph_view, presentation
from core.analysis import analyze
from core.analysis.channels import channel_growth
from core.analysis.graph import build_graph

PARAMS = "Parameters"


def test_default_page_shows_densenet121_figures_from_core():
    at = start()
    expected = analyze("densenet121")
    assert metric_values(at)[PARAMS] == f"{expected.trace.total_params:,}"
    assert metric_values(at)["Depth (conv + linear layers)"] == str(expected.depth)
    assert at.query_params["model"] == "densenet121"


def graph_svg(at) -> str | None:
    """The SVG document the page hands to its SVG view, if it shows one."""
    return next((json.loads(c.proto.json)["svg"] for c in at.get("bidi_component")
                 if c.key == graph_view.SVG_KEY), None)


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz's dot is not installed (make test installs it)")
def test_graph_is_laid_out_on_the_server_as_svg():
    at = start()
    ir = build_graph(analyze("densenet121").trace, "block")
    svg = graph_svg(at)
    assert svg and svg.count('class="edge"') == len(ir["edges"])
    assert svg.count('class="node"') == len(ir["nodes"])
    assert not at.get("graphviz_chart")


def test_graph_labels_follow_the_language(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # the DOT text is then on the page
    dot = start({"model": "densenet121", "lang": "zh"}).get("graphviz_chart")[0].proto.spec
    assert "输入\\n3×224×224" in dot and "64→256 通道" in dot and "k 参数" in dot
    assert " ch\\n" not in dot and " params" not in dot


def test_without_dot_the_browser_lays_out_the_graph(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    at = start()
    assert at.get("graphviz_chart") and graph_svg(at) is None


@pytest.mark.parametrize("family", core.list_families())
def test_every_family_is_selectable_with_a_widget_per_field(family):
    at = start()
    widget(at, "explore.family").set_value(family).run()
    assert not at.exception
    preset = at.session_state["explore.preset"]
    assert core.PRESETS[preset].family == family
    assert metric_values(at)[PARAMS] == f"{analyze(preset).trace.total_params:,}"
    for spec in core.FAMILIES[family].config_cls.fields():
        widget(at, f"cfg.{family}.{spec.name}")
    assert not errors(at)


def test_growth_rate_slider_changes_params_to_cores_value():
    at = start()
    widget(at, "cfg.densenet.growth_rate").set_value(12).run()
    assert metric_values(at)[PARAMS] == f"{analyze('densenet121', growth_rate=12).trace.total_params:,}"
    assert at.query_params["growth_rate"] == "12"


def test_reset_shows_once_the_preset_is_changed_and_restores_it():
    at = start()
    assert not [b for b in at.button if b.key == "explore.reset"]
    widget(at, "cfg.densenet.growth_rate").set_value(12).run()  # the sidebar is drawn again, with Reset
    next(b for b in at.button if b.key == "explore.reset").click().run()
    assert metric_values(at)[PARAMS] == f"{analyze('densenet121').trace.total_params:,}"
    assert "growth_rate" not in at.query_params
    assert not [b for b in at.button if b.key == "explore.reset"]


def test_rejected_list_shows_cores_message_and_keeps_last_results():
    at = start()
    widget(at, "cfg.densenet.growth_rate").set_value(12).run()
    shown = metric_values(at)[PARAMS]
    widget(redraw(at), "cfg.densenet.block_config").set_value("6,0").run()
    assert not at.exception
    with pytest.raises(core.ConfigError) as rejected:
        core.get_config("densenet121", growth_rate=12, block_config="6,0")
    assert errors(at) == [rejected.value.message]
    assert metric_values(at)[PARAMS] == shown  # the last valid model stays on screen
    assert at.warning


def below(at, key: str):
    """The sidebar element right below the widget with this key."""
    elements = list(at.sidebar.children.values())
    return elements[next(i for i, e in enumerate(elements) if getattr(e, "key", None) == key) + 1]


def below_size_boxes(at):
    """The sidebar element right below the height and width boxes (then come a caption and batch)."""
    elements = list(at.sidebar.children.values())
    return elements[next(i for i, e in enumerate(elements) if getattr(e, "key", None) == "explore.batch") - 2]


def test_too_small_input_names_the_layer_beside_the_input():
    at = start()
    widget(at, "explore.height").set_value(16).run()
    assert not at.exception
    with pytest.raises(core.ConfigError) as rejected:
        analyze("densenet121", input_shape=(3, 16, 224))
    assert errors(at) == [rejected.value.message]
    assert "use ≥" in errors(at)[0]
    assert shown_text(below_size_boxes(at).value) == errors(at)[0]


@pytest.mark.parametrize("key, typed, field", [("explore.height", 0, "input_shape"),
                                                ("explore.width", 5000, "input_shape"),
                                                ("explore.batch", 0, "batch")])
def test_typed_out_of_range_input_gets_cores_message_beside_the_box(key, typed, field):
    """The boxes have no bounds of their own (a bounded box refuses a typed 0 silently in a browser):
    core judges, its message goes below the box, and the last valid model stays."""
    at = start()
    shown = metric_values(at)[PARAMS]
    widget(at, key).set_value(typed).run()
    assert not at.exception
    shape = dict(height=(3, typed, 224), width=(3, 224, typed)).get(key.split(".")[1], (3, 224, 224))
    with pytest.raises(core.ConfigError) as rejected:
        analyze("densenet121", input_shape=shape, batch=typed if field == "batch" else 1)
    assert rejected.value.field == field and errors(at) == [rejected.value.message]
    beside = below(at, "explore.batch") if field == "batch" else below_size_boxes(at)
    assert shown_text(beside.value) == errors(at)[0]
    assert metric_values(at)[PARAMS] == shown and at.warning


def test_wide_integer_ranges_are_typed_in_a_number_box():
    at = start()
    assert widget(at, "cfg.densenet.growth_rate") in at.sidebar.number_input
    widget(at, "cfg.densenet.growth_rate").set_value(12).run()
    assert at.query_params["growth_rate"] == "12"


def test_cross_field_rule_error_goes_beside_that_field():
    at = start()
    widget(at, "explore.family").set_value("vgg").run()
    widget(at, "cfg.vgg.channels").set_value("64,128").run()
    assert not at.exception
    assert "vgg.channels" in errors(at)[0]
    assert shown_text(below(at, "cfg.vgg.channels").value) == errors(at)[0]


@pytest.mark.parametrize("tab", ["graph", "channels", "layers", "inside", "code", "learn"])
def test_every_tab_renders(tab):
    at = start({"model": "d2l_densenet", "tab": tab})
    assert not at.exception
    assert at.query_params["tab"] == tab
    # A download that reran the page gave every file made on press a new id mid-run: a second press in
    # that moment fetched a dropped id and got nothing (CI saw the ONNX button do so after Download JSON).
    assert all(button.proto.ignore_rerun for button in at.get("download_button"))


def test_channel_charts_equal_cores_channel_growth():
    at = start({"model": "densenet121", "growth_rate": "12", "tab": "channels"})
    growth = channel_growth(analyze("densenet121", growth_rate=12).trace)
    main, stairs = figure(at, 0), figure(at, 1)
    assert main["data"][0]["y"] == [row["channels"] for row in growth["main_path"]]
    assert main["data"][1]["y"] == [row["height"] for row in growth["main_path"]]
    staircase = [trace["y"] for trace in stairs["data"] if trace["mode"] == "lines+markers"]
    assert staircase == [block["layer_inputs"] for block in growth["dense_blocks"]]


def test_layer_table_rows_and_totals_equal_core():
    at = start({"model": "resnet18", "tab": "layers"})
    table = at.dataframe[0].value
    layers = analyze("resnet18").to_dict()["layers"]
    assert len(table) == len(layers) + 1
    assert table["Parameters"].iloc[-1] == sum(row["params"] for row in layers)
    assert table["MACs"].iloc[:-1].tolist() == [row["macs"] for row in layers]
    # stem.conv reads the 3×224² image and 9,408 weights and writes 64×112²: fp32, one example
    moved = table["Bytes moved (fp32, one example)"]
    assert moved.iloc[0] == 4 * (3 * 224 * 224 + 9408 + 64 * 112 * 112)
    assert moved.iloc[-1] == moved.iloc[:-1].sum()
    # how far each layer sees: stem conv 7×7/2, then at the end the published 435, then the whole input
    field, jump = table["Receptive field (input pixels)"], table["Jump (input pixels)"]
    assert (field.iloc[0], jump.iloc[0]) == ("7", "2")
    assert field.iloc[:-1].tolist() == [f"{r['receptive_field']:,}" if isinstance(r["receptive_field"], int)
                                        else "whole input" for r in layers]
    assert "435" in field.tolist() and field.iloc[-2] == "whole input" and jump.iloc[-2] == ""


def test_the_layer_table_speaks_chinese():
    at = start({"model": "resnet18", "tab": "layers", "lang": "zh"})
    table = at.dataframe[0].value
    assert table["感受野（输入像素）"].iloc[-2] == "整个输入" and table["跳距（输入像素）"].iloc[0] == "2"


def test_expanding_a_dense_block_shows_all_dense_connections():
    at = start({"model": "d2l_densenet", "expand": "features.denseblock1"})
    assert at.query_params["expand"] == "features.denseblock1"
    graph = build_graph(analyze("d2l_densenet").trace, "block", expand="features.denseblock1")
    caption = next(c.value for c in at.caption if "nodes" in c.value)
    assert caption.startswith(f"{len(graph['nodes'])} nodes, {len(graph['edges'])} edges")
    assert any("L(L+1)/2 = 10" in i.value or "10 = L(L+1)/2" in i.value for i in at.info)


def card(at) -> dict:
    """The selected node's card beside the graph, as {column: value} (what a reader sees)."""
    table = next(m.value for m in at.markdown if m.value.startswith("| Column | Value |"))
    return dict(re.fullmatch(r"\| (.+?) \| (.*?) \|", line).groups()
                for line in shown_text(table).splitlines()[2:])


def test_a_selected_layer_shows_its_row_of_the_layers_table_beside_the_graph():
    """node= in the link (what a click on a layer's node writes): that layer's Layers row, read back as
    the page shows it, equals core's row; the link keeps it; a node the graph does not draw is dropped."""
    at = start({"model": "d2l_densenet", "h": "32", "w": "32", "node": "features.conv0"})
    row = next(r for r in analyze("d2l_densenet", (1, 32, 32)).to_dict()["layers"]
               if r["name"] == "features.conv0")
    shown = card(at)
    assert shown["Layer"] == "features.conv0" and shown["Type"] == row["type"] == "Conv2d"
    assert shown["Parameters"] == f"{row['params']:,}" and shown["MACs"] == f"{row['macs']:,}"
    assert shown["Output shape"] == "×".join(map(str, row["output_shape"][1:]))
    assert "Layers summed" not in shown
    assert at.query_params["node"] == "features.conv0"
    at.button(key="explore.node_clear").click().run()
    assert "node" not in at.query_params and not any(m.value.startswith("| Column |") for m in at.markdown)
    at = start({"model": "d2l_densenet", "h": "32", "w": "32", "node": "features.denseblock1.denselayer1"})
    assert "node" not in at.query_params  # drawn only with its block expanded


def test_a_selected_block_sums_its_layers_rows():
    """A merged resnet18 node (layer1.0 ×2): parameters and MACs are its layers' rows summed, which
    equals the graph's count of the same node."""
    at = start({"model": "resnet18", "node": "layer1.0"})
    analysis = analyze("resnet18")
    rows = [r for r in analysis.to_dict()["layers"] if r["name"].startswith(("layer1.0.", "layer1.1."))]
    node = next(n for n in build_graph(analysis.trace, "block")["nodes"] if n["path"] == "layer1.0")
    shown = card(at)
    assert shown["Layer"] == "layer1.0 ×2" and shown["Layers summed"] == str(len(rows))
    assert shown["Parameters"] == f"{sum(r['params'] for r in rows):,}" == f"{node['params']:,}"
    assert shown["MACs"] == f"{sum(r['macs'] for r in rows):,}" == f"{node['macs']:,}"
    assert shown["Output shape"] == "64×56×56"


def test_learn_answers_come_from_core():
    at = start({"model": "densenet121", "growth_rate": "12", "tab": "learn"})
    growth = channel_growth(analyze("densenet121", growth_rate=12).trace)
    answers = " ".join(e.proto.label + " " + " ".join(m.value for m in e.markdown) for e in at.expander)
    block = growth["dense_blocks"][1]
    assert f"{block['output']:,}" in answers
    assert f"{block['transition']['output']:,}" in answers


def _learn(at) -> dict[str, str]:
    return {e.proto.label.split(". ", 1)[1]: " ".join(m.value for m in e.markdown) for e in at.expander}


def test_learn_asks_how_far_the_layers_see():
    """LeNet at 28×28: no convolution's field reaches 28 pixels (16 after the second pool), so the first
    layer that sees the whole image is the dense layer over the flattened 4×4 map; resnet18 at 224: the
    first row whose field reaches 224 pixels, as core computes it."""
    lenet = _learn(start({"model": "d2l_lenet_bn", "tab": "learn"}))
    assert lenet["Which layer is the first whose single output can see the whole 28×28 input?"].startswith(
        "**net.9 (Linear)**  ·  no convolution gets there: the Linear mixes every position of its map")
    layers = analyze("resnet18").layers
    first = next(r for r in layers if r["receptive_field"] == "whole input" or r["receptive_field"] >= 224)
    resnet = _learn(start({"model": "resnet18", "tab": "learn"}))
    answer = resnet["Which layer is the first whose single output can see the whole 224×224 input?"]
    assert answer.startswith(f"**{first['name']} ({first['type']})**")
    assert f"its receptive field is {first['receptive_field']:,} pixels wide" in answer
    convs = [r for r in layers if r["type"] == "Conv2d"]
    middle = convs[len(convs) // 2]
    field = middle["receptive_field"]
    assert resnet[f"How many input pixels wide is the receptive field of one output of {middle['name']}?"] \
        .startswith(f"**{field:,} × {field:,}**")
    zh = _learn(start({"model": "d2l_lenet_bn", "tab": "learn", "lang": "zh"}))
    assert zh["哪一层的单个输出最先能看到整个 28×28 输入？"].startswith("**net.9 (Linear)**")


def test_url_round_trip_restores_the_same_state():
    at = start()
    widget(at, "explore.family").set_value("resnet").run()
    widget(at, "explore.preset").set_value("resnet50").run()
    widget(at, "cfg.resnet.width").set_value(32).run()
    widget(redraw(at), "cfg.resnet.preact").set_value(True).run()
    widget(redraw(at), "explore.height").set_value(160).run()
    widget(redraw(at), "lang").set_value("zh").run()
    link = dict(at.query_params)
    assert link["width"] == "32" and link["preact"] == "true" and link["lang"] == "zh"
    again = start(link)
    assert dict(again.query_params) == link
    assert metric_values(again) == metric_values(at)
    for key in ("explore.preset", "cfg.resnet.width", "cfg.resnet.preact", "explore.height", "lang"):
        assert again.session_state[key] == at.session_state[key]


def test_language_follows_the_browser_and_is_switchable():
    at = start(context={"locale": "zh-CN"})
    assert "参数量" in metric_values(at)
    widget(at, "lang").set_value("en").run()
    assert PARAMS in metric_values(at)
    assert at.query_params["lang"] == "en"


def test_every_field_has_chinese_help():
    from app.components.field_help import ZH
    for family, fam in core.FAMILIES.items():
        for spec in fam.config_cls.fields():
            assert f"{family}.{spec.name}" in ZH or spec.name in ZH, f"{family}.{spec.name}"


def test_chinese_numbers_use_wan_and_yi():
    at = start({"model": "densenet121", "lang": "zh"})
    assert metric_values(at)["乘加运算（MACs）"] == "28.34 亿"


def test_settings_survive_a_visit_to_compare():
    at = start({"model": "resnet50", "width": "32", "tab": "layers"})
    before, link = metric_values(at), dict(at.query_params)
    at.switch_page("views/compare.py").run()
    at.switch_page("views/explore.py").run()
    assert not at.exception
    assert metric_values(at) == before
    assert dict(at.query_params) == link


def test_training_memory_estimate_on_request_equals_core():
    from core.memory import estimate
    at = start({"model": "resnet18", "batch": "4"})
    assert not [m for m in metric_values(at) if "memory" in m]  # off by default: it is slow
    widget(at, "explore.memory").set_value(True).run()
    peak = estimate("resnet18", batch=4, input_shape=(3, 224, 224)).to_dict()["peak_mib"]
    label = "Training memory, peak (estimate, any device, fp32, batch 4)"
    assert metric_values(at)[label] == f"{peak:,.0f} MiB"
    assert at.query_params["memory"] == "true"


@pytest.mark.parametrize("lost", [{"explore.family": "vgg"}, {"explore.family": "alexnet"},
                                  {"explore.preset": "densenet121"}])
def test_widgets_that_lost_their_state_show_what_the_page_last_showed(lost):
    """Widgets that lost their state fall back to their first option: AlexNet for the family (seen
    under load, with the preset too), densenet121 for a DenseNet preset. The page restores its last
    state instead: the page's state changes through a widget's callback or a link, never by a widget
    that shows something else."""
    at = start({"model": "densenet_bc100_k12"})
    widget(at, "cfg.densenet.growth_rate").set_value(13).run()
    expected = f"{analyze('densenet_bc100_k12', growth_rate=13).trace.total_params:,}"
    assert metric_values(at)[PARAMS] == expected
    for key, value in lost.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    assert at.session_state["explore.family"] == "densenet"
    assert at.session_state["explore.preset"] == "densenet_bc100_k12"
    assert metric_values(at)[PARAMS] == expected and at.query_params["growth_rate"] == "13"


@pytest.mark.parametrize("change, link", [(("cfg.densenet.growth_rate", 14), {"growth_rate": "14"}),
                                          (("explore.expand", "features.denseblock1"),
                                           {"growth_rate": "13", "expand": "features.denseblock1"})])
def test_a_change_that_comes_with_empty_pickers_stands_and_the_pickers_show_the_model(change, link):
    """Seen under load: both pickers came back empty in the same rerun as a slider step. The step is
    the student's and stands; the pickers show the page's model again (the state, not the widgets,
    says which model that is)."""
    at = start({"model": "densenet_bc100_k12", "growth_rate": "13"})
    at.session_state["explore.family"] = at.session_state["explore.preset"] = None
    widget(at, change[0]).set_value(change[1]).run()
    assert not at.exception
    assert at.session_state["explore.family"] == "densenet"
    assert at.session_state["explore.preset"] == "densenet_bc100_k12"
    expected = analyze("densenet_bc100_k12", growth_rate=int(link["growth_rate"])).trace.total_params
    assert metric_values(redraw(at))[PARAMS] == f"{expected:,}"
    assert {k: at.query_params[k] for k in link} == link


@pytest.mark.parametrize("picker", ["explore.family", "explore.preset"])
def test_a_picker_that_comes_back_empty_changes_nothing(picker):
    """The pickers have no default option, so a browser-side state loss reports no choice (not the
    first option, AlexNet): its callback ignores it and the page keeps its model."""
    at = start({"model": "densenet_bc100_k12", "growth_rate": "13"})
    expected = metric_values(at)[PARAMS]
    widget(at, picker).set_value(None).run()
    assert not at.exception and not errors(at)
    assert at.session_state["explore.preset"] == "densenet_bc100_k12"
    assert metric_values(at)[PARAMS] == expected and at.query_params["growth_rate"] == "13"


def test_a_preset_picked_in_its_widget_is_shown():
    at = start({"model": "densenet_bc100_k12"})
    widget(at, "explore.preset").set_value("densenet121").run()
    assert at.query_params["model"] == "densenet121"
    assert metric_values(at)[PARAMS] == f"{analyze('densenet121').trace.total_params:,}"


def test_a_widget_change_stands_when_the_url_sent_with_it_lags_behind():
    """The browser sends its URL with every rerun. A pick sent before the last run's URL update
    reached the browser carries the URL before it; the pick must stand (seen under load: a slider at
    47 while the model used 46). A rerun with an older URL and no widget change is Back: it loads."""
    def params(name, **changes):
        return f"{analyze(name, **changes).trace.total_params:,}"

    at = start({"model": "densenet121"})
    older = dict(at.query_params)
    widget(at, "cfg.densenet.growth_rate").set_value(12).run()
    redraw(at).query_params = dict(older)  # the browser has not yet seen growth_rate=12
    widget(at, "explore.preset").set_value("densenet169").run()
    assert metric_values(at)[PARAMS] == params("densenet169") and at.query_params["model"] == "densenet169"
    at.query_params = dict(older)  # Back
    at.run()
    assert metric_values(at)[PARAMS] == params("densenet121") and "growth_rate" not in at.query_params
    assert widget(at, "cfg.densenet.growth_rate").value == 32


@pytest.mark.parametrize("query, param, used", [
    ({"model": "densenet121", "block_config": "6,x"}, "block_config", "6,12,24,16"),
    ({"model": "densenet121", "growth_rate": "10000"}, "growth_rate", "32"),
    ({"model": "densenet121", "stem": "weird"}, "stem", "imagenet"),
    ({"model": "densenet121", "h": "1", "w": "1"}, "h", "224"),
    ({"model": "densenet121", "h": "²"}, "h", "224"),
    ({"model": "densenet121", "growth_rate": "inf"}, "growth_rate", "32"),
    ({"model": "foo"}, "model", "densenet121"),
])
def test_a_bad_link_value_shows_the_preset_with_a_notice_naming_it(query, param, used):
    at = start(query)
    assert not at.exception
    expected = analyze("densenet121")
    assert metric_values(at)[PARAMS] == f"{expected.trace.total_params:,}"  # a model is shown
    notice = next(w.value for w in at.warning if "This link asked for" in w.value)
    assert f"**{param.replace('_', chr(92) + '_')}**" in notice and f"using **{used}**" in notice
    assert at.query_params["model"] == "densenet121"


def test_a_bad_input_size_in_a_link_does_not_refuse_its_batch():
    """`h=1000000&batch=8` refused the batch too, with the input's rule as its reason."""
    at = start({"model": "densenet121", "h": "1000000", "batch": "8"})
    notice = next(w.value for w in at.warning if "This link asked for" in w.value)
    assert "**h** = 1000000" in notice and "**batch**" not in notice
    assert at.query_params["batch"] == "8" and at.query_params.get("h", "224") == "224"


def test_a_link_value_is_never_live_markdown():
    at = start({"model": "densenet121", "block_config": "![x](http://HOST/t.png)",
                "growth_rate": "[Click](https://example.com)"})
    shown = " ".join(w.value for w in [*at.warning, *at.error])
    assert "![x](http" not in shown and "[Click](" not in shown
    assert r"\!\[x\]\(http\:" in shown and r"\[Click\]\(https\:" in shown
    assert "://" not in shown  # a bare URL would be linked


def test_core_errors_are_shown_in_chinese():
    at = start({"model": "d2l_vgg11", "lang": "zh"})
    widget(at, "cfg.vgg.input_size").set_value(8).run()
    redraw(at)
    assert errors(at) == ["vgg.input_size = 8：被减半 5 次后什么也不剩；请用 input_size ≥ 32，或更少的块"]


def test_a_large_dense_block_opens_as_its_connection_matrix_with_the_drawing_one_click_away():
    """densenet121's block 3: 24 layers, 300 dense connections; drawn in full it was 8266×4210 px."""
    at = start({"model": "densenet121", "expand": "features.denseblock3"})
    matrix = figure(at, 0)
    cells = matrix["data"][0]["z"]
    ir = build_graph(analyze("densenet121").trace, expand="features.denseblock3")
    inside = [e for e in ir["edges"] if e["target"].startswith("features.denseblock3.")]
    assert sum(map(sum, cells)) == len(inside)
    layer_columns = [c for c, tick in enumerate(matrix["layout"]["xaxis"]["ticktext"]) if tick.isdigit()]
    assert sum(row[c] for row in cells for c in layer_columns) == 24 * 25 // 2  # L(L+1)/2
    assert "300" in next(c.value for c in at.caption if "L(L+1)/2" in c.value)
    assert matrix["layout"]["xaxis"]["title"]["text"] and matrix["layout"]["yaxis"]["title"]["text"]
    assert graph_svg(at) is None
    next(b for b in at.button if b.key == graph_view.FULL_KEY + ".button").click().run()
    if not shutil.which("dot"):
        pytest.skip("graphviz's dot is not installed: the server draws no SVG (the browser lays it out)")
    assert graph_svg(at).count('class="edge"') == len(ir["edges"])


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz's dot is not installed (make test installs it)")
def test_a_small_dense_block_is_drawn_fit_to_the_page_and_larger_in_presentation_mode():
    def drawn(query):
        at = start(query)
        component = next(c for c in at.get("bidi_component") if c.key == graph_view.SVG_KEY)
        return at, json.loads(component.proto.json)
    at, data = drawn({"model": "d2l_densenet", "expand": "features.denseblock1"})
    assert data["zoom"] == "fit" and data["svg"].startswith("<svg") and "present" not in at.query_params
    assert [data["labels"][k] for k in graph_view.ZOOM_ACTIONS] == ["−", "+", "Fit", "100 %"]
    at, data = drawn({"model": "d2l_densenet", "expand": "features.denseblock1", "present": "1"})
    assert data["zoom"] == presentation.GRAPH_ZOOM and at.query_params["present"] == "1"  # not a chain
    at, data = drawn({"model": "d2l_densenet", "present": "1"})  # the block chain: in 3 columns, fit
    assert widget(at, graph_view.COLUMNS_KEY).value == graph_view.PRESENT_COLUMNS == 3
    assert data["zoom"] == "fit" and "<title>cluster_column2</title>" in data["svg"]


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz's dot is not installed (make test installs it)")
def test_a_layout_past_its_deadline_is_killed(monkeypatch):
    import psutil

    from app import services
    monkeypatch.setattr(services.analysis, "DOT_TIMEOUT_S", 0.05)
    dense = "digraph G {" + "".join(f"a{i} -> b{j};" for i in range(60) for j in range(60)) + "}"
    with pytest.raises(services.LayoutRefused, match="timeout"):
        services.dot_to_svg(dense)
    assert not [p for p in psutil.Process().children(recursive=True) if p.name() == "dot"]


@pytest.mark.parametrize("model, overrides, expected", [
    # resnext50_32x4d's first stage: 128 channels in 32 groups: 128·128·9/32 weights against 128·128·9
    ("resnext50_32x4d", {}, ["4,608 against 147,456: 1/32"]),
    ("regnet_x_400mf", {}, ["widths 32 → 64 → 160 → 400 (they grow)", "g = 16"]),
    # densenet121 block 1 has 6 layers: 6 one-shot connections against 21 = 6·7/2
    ("densenet121", {}, ["6 against 21 = L(L+1)/2", "by memory: 100%"]),
])
def test_learn_asks_beyond_the_chapter_from_the_model_on_screen(model, overrides, expected):
    at = start({"model": model, "tab": "learn", **overrides})
    answers = " ".join(e.proto.label + " " + " ".join(m.value for m in e.markdown) for e in at.expander)
    for text in expected:
        assert text in answers


@pytest.mark.parametrize("service", ["channels", "graph"])
def test_a_failing_channels_or_graph_query_is_said_not_raised(monkeypatch, service):
    """Explore read these results without checking them: an engine failure surfaced as a KeyError."""
    from app import services
    failure = {"error": {"field": "job", "code": "job.deadline", "args": {"seconds": 120},
                         "message": "the job took longer than the 120 s a job may take"}}
    monkeypatch.setattr(services, service, lambda *args, **kwargs: failure)
    at = start({"model": "resnet18", "tab": "graph"})
    assert not at.exception
    assert any("120" in e.value for e in at.error)


def test_every_field_is_named_in_the_readers_language_beside_its_code_name():
    from app.components.field_names import NAMES
    unnamed = sorted({s.name for family in core.FAMILIES.values() for s in family.config_cls.fields()
                      if s.name not in NAMES})
    assert unnamed == []
    at = start({"model": "densenet121"})
    assert widget(at, "cfg.densenet.growth_rate").label == "growth rate k · growth_rate"
    assert widget(at, "cfg.densenet.compression").label == "compression θ · compression"
    assert widget(at, "cfg.densenet.stem").label == "stem"  # the same word once
    zh = start({"model": "densenet121", "lang": "zh"})
    assert widget(zh, "cfg.densenet.growth_rate").label == "增长率 k · growth_rate"
    assert widget(zh, "cfg.densenet.num_init_features").label == "初始通道数 k0 · num_init_features"
    lenet = start({"model": "d2l_lenet_bn"})
    assert widget(lenet, "cfg.lenet.input_size").label == "input side (px) · input_size"
    assert widget(lenet, "cfg.lenet.channels").label == "channels of the two convolutions · channels"


def test_inside_shows_the_untrained_network_and_says_its_weights_are_random():
    """The Inside tab: a test image of each class at the model's input, through the network as its
    constructor initialised it (the same weights as core's untrained(), seed 0): the stage's maps equal
    core's, the page says the weights are random and names no prediction."""
    from core.data import fit_images
    from core.feature_maps import feature_maps, points, untrained
    at = start({"model": "d2l_resnet18", "tab": "inside", "h": "32", "w": "40"})
    assert not at.exception and not errors(at)
    assert any("These weights are random" in w.value for w in at.warning)
    assert not any("At the end" in m.value for m in at.markdown)
    assert [c.key for c in at.get("plotly_chart")] == ["inside.figure", "inside.erf"]
    image = widget(at, "inside.image")
    assert image.value == image.options[0] and len(image.options) == 10
    config = core.get_config("d2l_resnet18")
    first = fit_images(_first_test_image(), (32, 40), config.in_channels)
    stage = widget(at, "inside.point").value
    assert stage == points(config, (config.in_channels, 32, 40))[0]
    truth = feature_maps(untrained(config), first, [stage])["points"][0]
    shown = figure(at, 0)["data"]
    assert len(shown) == len(truth["channels"])
    assert np.allclose(plotted(shown[0]["z"]), truth["channels"][0]["map"].ravel(), atol=1e-5)
    assert f"values {truth['min']:.3g} to {truth['max']:.3g}" in figure(at, 0)["layout"]["title"]["text"]


def _first_test_image():
    """The first test image of class 0 of the dataset the Inside tab shows (Fashion-MNIST, else digits)."""
    from core.data import PACKAGED_FASHION_MNIST, fashion_mnist_test, load_digits
    if PACKAGED_FASHION_MNIST.is_dir():
        images, labels = fashion_mnist_test(PACKAGED_FASHION_MNIST)
    else:
        data = load_digits()
        images, labels = data.test_x, data.test_y
    return images[int((labels == 0).nonzero()[0])][None]


def test_a_row_selected_in_the_layer_table_opens_its_maps_on_inside():
    at = start({"model": "d2l_resnet18", "tab": "layers", "h": "32", "w": "32"})
    names = at.dataframe[0].value.iloc[:-1, 0].tolist()
    row = names.index("layer2.0.conv2")
    at.session_state["explore.layer_pick.0"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception and at.query_params["tab"] == "inside"
    assert widget(at, "inside.every").value is True and widget(at, "inside.point").value == "layer2.0.conv2"
    assert "After layer2.0.conv2" in figure(at, 0)["layout"]["title"]["text"]
    widget(at, "inside.point").set_value(widget(at, "inside.point").options[0]).run()  # moves on from it
    assert widget(at, "inside.point").value != "layer2.0.conv2"
    # a row without a map (the add joining the paths) says so and stays on the table
    at = start({"model": "d2l_resnet18", "tab": "layers", "h": "32", "w": "32"})
    row = names.index(next(n for n in names if n.endswith("add")))
    at.session_state["explore.layer_pick.0"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert at.query_params["tab"] == "layers" and "has no feature map" in at.info[0].value


def test_a_trained_network_is_offered_and_explored_with_its_weights():
    """From random weights, one click explores a shipped network with its trained weights: the link
    names its config (densenet40_k12 with one input channel at 28×28), the page its checkpoint, and
    the prediction at the end is core's for the first image."""
    from conftest import shipped

    from core.attribution import predict
    from core.checkpoints import load_checkpoint
    from core.data import fit_images
    at = start({"model": "d2l_resnet18", "tab": "inside", "h": "32", "w": "32"})
    at.button(key="inside.open.densenet_fig5").click().run()
    assert not at.exception and not errors(at)
    assert at.query_params == {"lang": "en", "model": "densenet40_k12", "in_channels": "1", "h": "28",
                               "w": "28", "batch": "1", "tab": "inside"}
    checkpoint = load_checkpoint(shipped("densenet_fig5"))
    assert at.success[0].value.startswith(f"Trained weights: {shipped('densenet_fig5').name}, trained on "
                                          f"{checkpoint.metadata['dataset']} for 3 epochs" if
                                          checkpoint.metadata["dataset"] == "fashion-mnist" else
                                          f"Trained weights: {shipped('densenet_fig5').name}")
    assert not at.warning and not any(b.key.startswith("inside.open.") for b in at.button)
    label, probability = predict(checkpoint.model(), fit_images(_first_test_image(), 28, 1))
    prediction = next(m.value for m in at.markdown if m.value.startswith("At the end"))
    assert f"probability {float(probability[0]):.1%}" in prediction


def test_inside_speaks_chinese():
    at = start({"model": "d2l_resnet18", "tab": "inside", "h": "32", "w": "32", "lang": "zh"})
    assert not at.exception
    assert at.warning[0].value.startswith("这些权重是随机的")
    texts = [c.value for c in at.caption] + [w.label for w in (widget(at, "inside.image"),
                                                                 widget(at, "inside.every"),
                                                                 widget(at, "inside.point"))]
    english = [text for text in texts if re.search(r"\b(the|of|image|layer|weights)\b", text)]
    assert not english and figure(at, 0)["layout"]["title"]["text"].startswith("stem")


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz's dot is not installed (make test installs it)")
def test_while_the_servers_layouts_are_busy_the_browser_lays_the_graph_out(monkeypatch):
    """Every layout slot taken (other students' graphs): a small graph is sent to the reader's browser
    to lay out, and the page says why; a graph past BROWSER_LAYOUT_EDGES gets the timeout's message
    and, for a dense block, its connection matrix."""
    import threading

    from app import services
    monkeypatch.setattr(services.analysis, "_layouts", threading.BoundedSemaphore(1))
    # Uncached: another test's layout of the same graph would answer without asking for a slot.
    monkeypatch.setattr(services, "dot_to_svg", services.dot_to_svg.__wrapped__)
    assert services.analysis._layouts.acquire(timeout=1)  # the one slot, held by "another student"
    at = start({"model": "d2l_densenet", "h": "32", "w": "32"})
    assert not at.exception
    assert any("laying out other graphs" in i.value for i in at.info)
    drawn = at.get("graphviz_chart")
    assert len(drawn) == 1 and "features.denseblock1" in drawn[0].proto.spec
    assert not [c for c in at.get("bidi_component") if c.key == graph_view.SVG_KEY]
    monkeypatch.setattr(services, "BROWSER_LAYOUT_EDGES", 5)  # too many for the browser, then
    at = start({"model": "d2l_densenet", "h": "32", "w": "32", "expand": "features.denseblock1"})
    assert any("could not lay out this graph" in w.value for w in at.warning)
    assert not at.get("graphviz_chart")
    assert [c.key for c in at.get("plotly_chart")] == ["explore.graph_matrix"]
    services.analysis._layouts.release()
