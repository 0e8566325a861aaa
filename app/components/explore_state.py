"""The Explore page's one state: the model (family, preset, field values), its input, the open tab, the
expanded block, the graph's selected node and the memory toggle.

Widgets and the link are derived from it. Each run puts its values into the widgets that do not show
them (a widget whose browser-side state was lost, a link just loaded, a preset just picked) and writes
it into the query string; a widget's change reaches it through that widget's callback, and a link
from outside (pasted, Back/Forward) replaces it. Nothing else holds the page's state, so widgets, the
URL and a snapshot can never disagree about what the page shows.
"""
from __future__ import annotations

import dataclasses
import json

import streamlit as st

from app import services
from app.components import config_form, url_state
from app.components.i18n import t

KEY = "explore.state"
DEFAULT_MODEL = "densenet121"
TABS = ("graph", "channels", "layers", "inside", "code", "learn")
# The widgets of the model and its input, keyed as the sidebar draws them.
K_FAMILY, K_PRESET = "explore.family", "explore.preset"
K_H, K_W, K_BATCH = "explore.height", "explore.width", "explore.batch"
INPUTS = {K_H: "height", K_W: "width", K_BATCH: "batch"}
LINK_INPUTS = {"h": "height", "w": "width", "batch": "batch"}


@dataclasses.dataclass
class ExploreState:
    family: str
    preset: str
    values: dict  # {field: value as its widget holds it: "6,12,24,16" for a list}
    height: int
    width: int
    batch: int = 1
    tab: str = "graph"
    expand: str = ""  # the expanded block's path; "" for none
    node: str = ""  # the graph node selected (its path), its Layers row shown beside the graph; "" for none
    memory: bool = False

    def sidebar_widgets(self) -> dict:
        """{widget key: the value it shows} for the model and input widgets."""
        fields = {config_form.field_key(self.family, name): value for name, value in self.values.items()}
        return {K_FAMILY: self.family, K_PRESET: self.preset, **fields,
                K_H: self.height, K_W: self.width, K_BATCH: self.batch}


def current() -> ExploreState | None:
    return st.session_state.get(KEY)


def put(state: ExploreState) -> None:
    st.session_state[KEY] = state


def of_preset(cat: dict, name: str, keep: ExploreState | None = None) -> ExploreState:
    """Every field and the input size as the preset defines them; the tab and the memory toggle as
    `keep` has them (a new model keeps what the student was looking at)."""
    preset = cat["presets"][name]
    fields = cat["families"][preset["family"]]["fields"]
    _, height, width = preset["input_shape"]
    values = {spec["name"]: config_form.widget_value(spec, preset["config"][spec["name"]]) for spec in fields}
    kept = dict(tab=keep.tab, memory=keep.memory) if keep else {}
    return ExploreState(family=preset["family"], preset=name, values=values, height=height, width=width,
                        **kept)


def of_config(cat: dict, family: str, config: dict, input_shape: list, keep: ExploreState) -> ExploreState:
    """A config core built (a checkpoint's) as the page's state, named after the family's preset it
    differs least from (its link then lists only the differences); tab and memory toggle as `keep`."""
    fields = cat["families"][family]["fields"]
    values = {spec["name"]: config_form.widget_value(spec, config[spec["name"]]) for spec in fields}
    presets = [name for name, p in cat["presets"].items() if p["family"] == family]
    preset = min(presets, key=lambda name: sum(
        values[spec["name"]] != config_form.widget_value(spec, cat["presets"][name]["config"][spec["name"]])
        for spec in fields))
    return ExploreState(family=family, preset=preset, values=values, height=input_shape[1],
                        width=input_shape[2], tab=keep.tab, memory=keep.memory)


def changes(cat: dict, state: ExploreState) -> dict:
    """The fields that differ from the preset, spelled as in a link."""
    preset = cat["presets"][state.preset]["config"]
    out = {}
    for spec in cat["families"][state.family]["fields"]:
        value = state.values[spec["name"]]
        if value != config_form.widget_value(spec, preset[spec["name"]]):
            out[spec["name"]] = json.dumps(value) if spec["kind"] == "bool" else value
    return out


def link(cat: dict, state: ExploreState, language: str) -> dict:
    """The query string that describes the state (None values are left out)."""
    return {"lang": language, "model": state.preset, **changes(cat, state), "h": state.height,
            "w": state.width, "batch": state.batch, "tab": state.tab, "expand": state.expand or None,
            "node": state.node or None, "memory": "true" if state.memory else None}


# ---- widgets ---------------------------------------------------------------------------------------
def show_in(values: dict) -> None:
    """Put the state's values into the widgets that do not show them, before they are drawn (a value
    put there is sent to the browser again, so only a differing one is)."""
    for key, value in values.items():
        if st.session_state.get(key) != value:
            st.session_state[key] = value


def widgets_show(state: ExploreState) -> bool:
    """Whether every sidebar widget shows the state (a fragment run cannot redraw one that does not)."""
    return all(st.session_state.get(key) == value for key, value in state.sidebar_widgets().items())


def take_field(name: str) -> None:
    """A field's widget changed: its value is the state's."""
    state = current()
    state.values[name] = st.session_state[config_form.field_key(state.family, name)]


def take_input(key: str) -> None:
    setattr(current(), INPUTS[key], st.session_state[key])


# ---- links -----------------------------------------------------------------------------------------
def link_value(spec: dict, text: str):
    """A query-string value as its widget holds it (core has accepted it)."""
    if spec["kind"] == "bool":
        return text.lower() in ("true", "1")
    if spec["choices"]:  # the choice itself: GoogLeNet's branch3_kernel is the number 3, not "3"
        return next(choice for choice in spec["choices"] if str(choice) == str(text))
    if spec["kind"] == "int_list" or spec["kind"] == "str":
        return text
    return float(text) if spec["kind"] == "float" else int(float(text))


def _used(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else value


def from_link(cat: dict, params: dict, evaluate) -> tuple[ExploreState, list[dict]]:
    """The state a link describes: its preset, then its changes, input, tab, expanded block and selected
    node. What
    it asks for and core refuses is left as the preset has it; each notice names the value, core's
    reason and what is used instead. `evaluate(state)` is core's verdict (model, summary, error)."""
    notices: list[dict] = []
    before = current()
    model = params.get("model")
    if model not in cat["presets"]:
        used = before.preset if before else DEFAULT_MODEL
        notices.append(dict(param="model", value=model, used=used,
                            error=services.resolve(str(model), "{}").get("error")))
        model = used
    state = of_preset(cat, model, keep=before)
    _link_fields(cat, state, params, notices)
    _link_input(state, params, notices, evaluate)
    if params.get("tab") in TABS:
        state.tab = params["tab"]
    state.expand = params.get("expand", "")
    state.node = params.get("node", "")
    state.memory = params.get("memory") == "true"
    return state, notices


def _link_fields(cat: dict, state: ExploreState, params: dict, notices: list) -> None:
    """The link's field values, validated together as the config form's values are (RegNet's depths
    and widths, ResNeXt's block and groups change together); when core refuses them together, those it
    accepts one by one on top of those accepted before (a value that breaks a cross-field rule is then
    refused like an out-of-range one)."""
    specs = [spec for spec in cat["families"][state.family]["fields"] if spec["name"] in params]
    together = {spec["name"]: params[spec["name"]] for spec in specs}
    if together and "error" not in services.resolve(state.preset, json.dumps(together)):
        for spec in specs:
            state.values[spec["name"]] = link_value(spec, params[spec["name"]])
        return
    accepted: dict = {}
    preset = cat["presets"][state.preset]["config"]
    for spec in specs:
        name = spec["name"]
        resolved = services.resolve(state.preset, json.dumps({**accepted, name: params[name]}))
        if "error" in resolved:
            notices.append(dict(param=name, value=params[name], error=resolved["error"],
                                used=_used(preset[name])))
        else:
            accepted[name] = params[name]
            state.values[name] = link_value(spec, params[name])


def _link_input(state: ExploreState, params: dict, notices: list, evaluate) -> None:
    """Height, width and batch from the link where the model accepts them (core judges the range),
    else the preset's, with a notice."""
    asked = {param: params[param] for param in LINK_INPUTS if param in params}
    numbers = {param: number for param, text in asked.items()
               if (number := url_state.whole_number(text, 0, 10**6)) is not None}
    reasons = {param: {"message": t("explore.link_not_number"), "code": None}
               for param in asked if param not in numbers}

    def refused(values: dict) -> dict | None:
        changed = {LINK_INPUTS[param]: value for param, value in values.items()}
        return evaluate(dataclasses.replace(state, **changed))[2] if values else None

    error = refused(numbers)
    if error and len(numbers) > 1:  # each on its own, so that a bad height does not refuse the batch
        for param in list(numbers):
            if alone := refused({param: numbers[param]}):
                reasons[param] = alone
                del numbers[param]
        error = refused(numbers)  # those that pass alone may still not fit together
    if error:
        reasons.update(dict.fromkeys(numbers, error))
        numbers = {}
    for param, text in asked.items():
        if param in reasons:
            notices.append(dict(param=param, value=text, error=reasons[param],
                                used=getattr(state, LINK_INPUTS[param])))
    for param, value in numbers.items():
        setattr(state, LINK_INPUTS[param], value)
