"""The app's pure helpers: link parsing and the changes a link records."""
import pytest

import core
from app.components.config_form import widget_value
from app.views.compare import input_for, parse_changes
from app.views.explore import _url_value, url_changes

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


def test_url_changes_lists_only_fields_that_differ_from_the_preset():
    preset = core.get_config("densenet121").to_dict()
    values = {s["name"]: widget_value(s, preset[s["name"]]) for s in DENSENET_FIELDS}
    assert url_changes(values, DENSENET_FIELDS, preset) == {}
    values.update(growth_rate=12, block_config="6,12", memory_efficient=True)
    assert url_changes(values, DENSENET_FIELDS, preset) == {
        "growth_rate": 12, "block_config": "6,12", "memory_efficient": "true"}


# Values core has accepted (a refused one, such as growth_rate=100000, is left as the preset has it
# and named in a notice: test_app_explore.test_a_bad_link_value_shows_the_preset_with_a_notice_naming_it).
@pytest.mark.parametrize("name, text, value", [
    ("growth_rate", "12", 12), ("compression", "0.25", 0.25), ("memory_efficient", "true", True),
    ("conv_bias", "false", False), ("block_config", "6,12", "6,12"), ("stem", "cifar", "cifar")])
def test_url_values_become_widget_values(name, text, value):
    assert _url_value(SPEC[name], text) == value


def test_compare_input_follows_channels_and_sized_classifiers():
    preset = {"input_shape": [1, 96, 96]}
    assert input_for(preset, {"in_channels": 3}) == (3, 96, 96)
    assert input_for(preset, {"in_channels": 1, "input_size": 64}) == (1, 64, 64)
