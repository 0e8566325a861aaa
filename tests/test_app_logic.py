"""The app's pure helpers: link parsing and the changes a link records."""
from unittest.mock import patch

import pytest

import core
from app.components import explore_state, i18n
from app.components.config_form import widget_value
from app.components.model_changes import input_for, parse_changes

DENSENET_FIELDS = [s.to_dict() for s in core.FAMILIES["densenet"].config_cls.fields()]
SPEC = {s["name"]: s for s in DENSENET_FIELDS}


def test_parse_changes_keeps_values_as_strings_for_core():
    assert parse_changes(" growth_rate=12 ; block_config=6,12,24 ;") == {
        "growth_rate": "12", "block_config": "6,12,24"}
    assert parse_changes("") == {}


@pytest.mark.parametrize("text", ["growth_rate", "=12", "a=1; b"])
def test_parse_changes_rejects_parts_without_key_and_value(text):
    with pytest.raises(ValueError):
        parse_changes(text)


def test_the_link_names_only_fields_that_differ_from_the_preset():
    preset = core.get_config("densenet121").to_dict()
    cat = {"presets": {"densenet121": {"family": "densenet", "config": preset}},
           "families": {"densenet": {"fields": DENSENET_FIELDS}}}
    values = {s["name"]: widget_value(s, preset[s["name"]]) for s in DENSENET_FIELDS}
    state = explore_state.ExploreState("densenet", "densenet121", values, height=224, width=224)
    assert explore_state.changes(cat, state) == {}
    assert explore_state.link(cat, state, "en") == {
        "lang": "en", "model": "densenet121", "h": 224, "w": 224, "batch": 1, "tab": "graph",
        "expand": None, "node": None, "memory": None}
    values.update(growth_rate=12, block_config="6,12", memory_efficient=True)
    assert explore_state.changes(cat, state) == {
        "growth_rate": 12, "block_config": "6,12", "memory_efficient": "true"}


# Values core has accepted (a refused one, such as growth_rate=100000, is left as the preset has it
# and named in a notice: test_app_explore.test_a_bad_link_value_shows_the_preset_with_a_notice_naming_it).
@pytest.mark.parametrize("name, text, value", [
    ("growth_rate", "12", 12), ("compression", "0.25", 0.25), ("memory_efficient", "true", True),
    ("conv_bias", "false", False), ("block_config", "6,12", "6,12"), ("stem", "cifar", "cifar")])
def test_url_values_become_widget_values(name, text, value):
    assert explore_state.link_value(SPEC[name], text) == value


def test_compare_input_follows_channels_and_sized_classifiers():
    preset = {"input_shape": [1, 96, 96]}
    assert input_for(preset, {"in_channels": 3}) == (3, 96, 96)
    assert input_for(preset, {"in_channels": 1, "input_size": 64}) == (1, 64, 64)


def test_layer_counts_past_int64_reach_the_browser_and_stay_exact_in_the_csv():
    """The largest configs' MACs pass 2**63: as Arrow integers they blanked the Layers tab."""
    import pyarrow as pa

    from app.components.layer_table import layer_frame, shown_frame
    huge = 2**70 + 1
    summary = {"layers": [{"name": "conv", "type": "Conv2d", "input_shapes": [[1, 3, 8, 8]],
                           "output_shape": [1, 8, 8, 8], "params": 10, "macs": huge,
                           "bytes_fp32": 4 * (192 + 10 + 512), "receptive_field": 3, "jump": 1}],
               "output_shape": [1, 8, 8, 8], "total_params": 10, "macs": huge}
    frame = layer_frame(summary)
    with pytest.raises((pa.ArrowInvalid, OverflowError, pa.ArrowTypeError)):
        pa.Table.from_pandas(frame)
    pa.Table.from_pandas(shown_frame(frame))  # what st.dataframe sends
    assert str(huge) in frame.to_csv(index=False)


def test_folders_of_a_killed_server_are_removed_at_start_up(tmp_path, monkeypatch):
    import subprocess
    import tempfile

    from app import services
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    host = services.checkpoints.HOST
    stale = tmp_path / f"cnn-explorer-{host}-{gone.pid}" / "session-x"
    stale.mkdir(parents=True)
    (stale / "upload.pt").write_bytes(b"x" * 1000)
    alive = tmp_path / f"cnn-explorer-{host}-1" / "session-y"  # pid 1 runs: another server's, kept
    alive.mkdir(parents=True)
    # another replica's, on a volume the replicas share: its pid means nothing on this host
    other_host = tmp_path / f"cnn-explorer-elsewhere-{gone.pid}" / "session-z"
    other_host.mkdir(parents=True)
    services.remove_folders_of_stopped_servers()
    assert not stale.parent.exists() and alive.exists() and other_host.exists()


def test_accuracy_labels_fit_the_chart_and_never_overlap():
    """Labels of points near 100 % were cut off at the top; two labels of one epoch overlapped."""
    from app.components import training_charts
    epochs = [dict(epoch=1, train_accuracy=0.772, test_accuracy=0.872),
              dict(epoch=2, train_accuracy=0.989, test_accuracy=0.97),
              dict(epoch=3, train_accuracy=1.0, test_accuracy=1.0)]
    fig = training_charts.accuracy_figure(epochs)
    train, test = fig.data
    assert list(test.text) == ["87.2", "97.0", "100.0"] and list(train.text) == ["77.2", "98.9", "100.0"]
    assert list(train.textposition) == ["bottom center", "top center", "bottom center"]
    assert list(test.textposition) == ["top center", "bottom center", "top center"]
    assert fig.layout.yaxis.range[1] >= 110 and max(fig.layout.yaxis.tickvals) == 100


@pytest.mark.parametrize("lang, weights, expected", [
    ("en", None, "densenet121 · growth_rate = 12, block_config = 6,12,24 · input 3×64×64"),
    ("zh", {"dataset": "fashion-mnist", "test_accuracy": 0.9273, "name": "a.safetensors"},
     "densenet121 · growth_rate = 12, block_config = 6,12,24 · 输入 3×64×64 · "
     "在 fashion-mnist 上训练，测试准确率 0.927"),
    ("en", {"dataset": "?", "test_accuracy": None, "name": "mine.pth"},
     "densenet121 · growth_rate = 12, block_config = 6,12,24 · input 3×64×64 · weights from mine.pth"),
])
def test_a_slides_caption_names_the_model_its_changes_input_and_weights(lang, weights, expected):
    from app.components import slides
    with patch.object(i18n, "language", lambda: lang):
        model = {"name": "densenet121*", "input_shape": [3, 64, 64]}
        assert slides.caption(model, {"growth_rate": 12, "block_config": "6,12,24"}, weights) == expected


def test_a_slides_graph_gets_its_caption_as_its_label_escaped():
    from app.components import slides
    dot = 'digraph G {\n  label="densenet121";\n  "a" -> "b";\n}\n'
    captioned = slides.with_caption(dot, 'x = "1" \\ y')
    assert captioned.endswith('  label="x = \\"1\\" \\\\ y"; labelloc=b; fontsize=16;\n}\n')
    assert captioned.count("{") == 1 and captioned.startswith(dot[:dot.rindex("}")])
