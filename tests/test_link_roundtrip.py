"""Every state the sidebar can reach survives its own link: random valid configs of every family ->
the link Explore writes -> the state that link opens has the same values, with no notice. Before,
a link's values were checked one by one against the preset's others, so changes that belong together
were refused: `/?model=regnet_x_400mf&depths=1,1,1&widths=32,64,64`, or
`/?model=resnext50_32x4d&block=basic&groups=1&width_per_group=64`."""
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import core
from app import services
from app.components import config_form, explore_state

CATALOG = services.catalog()
PRESETS = sorted(CATALOG["presets"])


def reopen(state: explore_state.ExploreState) -> tuple[explore_state.ExploreState, list]:
    params = {k: str(v) for k, v in explore_state.link(CATALOG, state, "en").items() if v is not None}
    return explore_state.from_link(CATALOG, params, lambda tried: (None, None, None))


@st.composite
def valid_state(draw):
    """A preset with some of its fields changed to values core accepts together."""
    name = draw(st.sampled_from(PRESETS))
    preset = CATALOG["presets"][name]
    state = explore_state.of_preset(CATALOG, name)
    values = dict(preset["config"])
    for spec in CATALOG["families"][preset["family"]]["fields"]:
        if spec["name"] in ("num_classes",) or not draw(st.integers(0, 3)) == 0:
            continue
        if spec["choices"]:
            value = draw(st.sampled_from(spec["choices"]))
        elif spec["kind"] == "bool":
            value = draw(st.booleans())
        elif spec["kind"] == "int":
            value = draw(st.integers(spec["low"], min(spec["high"], spec["low"] + 64)))
        elif spec["kind"] == "float":
            value = draw(st.floats(spec["low"], spec["high"]).map(lambda v: round(v, 3)))
        else:
            size = len(values[spec["name"]]) if draw(st.booleans()) else draw(
                st.integers(spec["min_len"], max(spec["min_len"], min(spec["max_len"] or 4, 4))))
            value = draw(st.lists(st.integers(spec["low"], min(spec["high"], spec["low"] + 3) if
                                              spec["name"] in ("block_config", "layers", "depths")
                                              else min(spec["high"], spec["low"] + 64)),
                                  min_size=size, max_size=size))
        values[spec["name"]] = value
    try:
        core.get_config(preset["family"], **values)
    except core.ConfigError:
        assume(False)
    for spec in CATALOG["families"][preset["family"]]["fields"]:
        state.values[spec["name"]] = config_form.widget_value(spec, values[spec["name"]])
    return state


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(state=valid_state())
def test_every_reachable_state_survives_its_link(state):
    opened, notices = reopen(state)
    assert notices == []
    assert opened.values == state.values and opened.preset == state.preset


@pytest.mark.parametrize("preset, changes", [
    ("regnet_x_400mf", {"depths": "1,1,1", "widths": "32,64,64"}),
    ("resnext50_32x4d", {"block": "basic", "groups": 1, "width_per_group": 64}),
])
def test_changes_that_belong_together_open_together(preset, changes):
    opened, notices = explore_state.from_link(CATALOG, {"model": preset, **changes},
                                              lambda tried: (None, None, None))
    assert notices == []
    assert {k: opened.values[k] for k in changes} == changes
