"""Explore: one model — metrics, graph, channels, layer table, code/exports and a Learn tab.

The sidebar is generated from the family's config schema; the widgets' values go to core as they
are, and core's verdict (a config or a ConfigError naming a field) decides what the page shows.
"""
from __future__ import annotations

import json

import streamlit as st

from app import services
from app.components import (
    charts,
    config_form,
    error_text,
    export_view,
    graph_view,
    layer_table,
    learn,
    url_state,
)
from app.components.i18n import chosen_id, language, localize_choice, t
from app.components.memory_charts import labels as memory_labels
from app.components.numbers import exact, shape, spelled

DEFAULT_MODEL = "densenet121"
TABS = ("graph", "channels", "layers", "code", "learn")
TAB_LABELS = {tab: f"tab.{tab}" for tab in TABS}
K_FAMILY, K_PRESET = "explore.family", "explore.preset"
K_H, K_W, K_BATCH, K_TAB = "explore.height", "explore.width", "explore.batch", "explore.tab"
K_MEMORY = "explore.memory"
LAST_VALID = "explore.last_valid"
LAST_STATE = "explore.last_state"  # what the page last wrote into its link
RESULTS = "explore_results"  # the results fragment's key
SIDEBAR_SHOWS = "explore.sidebar_shows"  # (core's error or None, whether Reset shows) as last drawn
LINK_NOTICES = "explore.link_notices"  # what the link being loaded asked for and core refused
CHOSEN = "explore.chosen"  # the preset last loaded by a pick, a link or the default (not a widget key)
_INPUT_KEYS = {"h": K_H, "w": K_W, "batch": K_BATCH}
_PERSIST = dict(persist_state="session")
# A widget whose state is in the link says when it changes (url_state.acted).
_ACTS = dict(on_change=url_state.acted, **_PERSIST)


# ---- state: presets, URL ------------------------------------------------------------------------
def load_preset(cat: dict, name: str) -> None:
    """Every field, the input size and the graph zoom as the preset defines them."""
    preset = cat["presets"][name]
    st.session_state[K_FAMILY], st.session_state[K_PRESET] = preset["family"], name
    st.session_state[CHOSEN] = name
    config_form.load(preset["family"], cat["families"][preset["family"]]["fields"], preset["config"])
    _, st.session_state[K_H], st.session_state[K_W] = preset["input_shape"]
    st.session_state[K_BATCH] = 1
    st.session_state[graph_view.EXPAND_KEY] = ""


def _url_value(spec: dict, text: str):
    """A query-string value as its widget holds it (core has accepted it), or None."""
    if spec["kind"] == "bool":
        return text.lower() in ("true", "1")
    if spec["kind"] == "int_list" or spec["choices"] or spec["kind"] == "str":
        return text
    return float(text) if spec["kind"] == "float" else int(float(text))


def _link_values(cat: dict, preset: str, family: str, params: dict, notices: list) -> dict:
    """The link's field values that core accepts, one by one on top of those accepted before it (a
    value that breaks a cross-field rule is refused like an out-of-range one); each refused value
    becomes a notice naming it, core's reason and the preset's value used instead."""
    accepted: dict = {}
    for spec in cat["families"][family]["fields"]:
        name = spec["name"]
        if name not in params:
            continue
        resolved = services.resolve(preset, json.dumps({**accepted, name: params[name]}))
        if "error" in resolved:
            used = cat["presets"][preset]["config"][name]
            notices.append(dict(param=name, value=params[name], error=resolved["error"],
                                used=",".join(map(str, used)) if isinstance(used, list) else used))
        else:
            accepted[name] = params[name]
    return accepted


def load_url(cat: dict, params: dict) -> list[dict]:
    """The state a link describes: its preset, then its changes, input, tab and expanded block. What
    it asks for and core refuses is left as the preset has it; the notices say what and why."""
    notices: list[dict] = []
    model = params.get("model")
    fallback = st.session_state.get(K_PRESET) or DEFAULT_MODEL
    if model not in cat["presets"]:
        notices.append(dict(param="model", value=model, used=fallback,
                            error=services.resolve(str(model), "{}").get("error")))
        model = fallback
    load_preset(cat, model)
    family = st.session_state[K_FAMILY]
    specs = {spec["name"]: spec for spec in cat["families"][family]["fields"]}
    for name, text in _link_values(cat, model, family, params, notices).items():
        st.session_state[config_form.field_key(family, name)] = _url_value(specs[name], text)
    _link_input(cat, params, notices)
    st.session_state[graph_view.EXPAND_KEY] = params.get("expand", "")
    st.session_state[K_MEMORY] = params.get("memory") == "true"
    return notices


def _link_input(cat: dict, params: dict, notices: list) -> None:
    """Height, width and batch from the link where the model accepts them (core judges the range),
    else the preset's, with a notice."""
    held = {param: st.session_state[key] for param, key in _INPUT_KEYS.items()}
    asked = {param: params[param] for param in _INPUT_KEYS if param in params}
    numbers = {param: number for param, text in asked.items()
               if (number := url_state.whole_number(text, 0, 10**6)) is not None}
    inputs = {**held_inputs(cat), **{dict(h="height", w="width", batch="batch")[p]: v
                                     for p, v in numbers.items()}}
    error = evaluate(inputs)[2] if numbers else None
    for param, text in asked.items():
        if param not in numbers or error:
            reason = error or {"message": t("explore.link_not_number"), "code": None}
            notices.append(dict(param=param, value=text, error=reason, used=held[param]))
    if not error:
        for param, value in numbers.items():
            st.session_state[_INPUT_KEYS[param]] = value


def show_link_notices(notices: list[dict]) -> None:
    """What a link asked for that could not be shown, and what is shown instead (values escaped)."""
    if not notices:
        return
    lines = [t("explore.link_notice")]
    for notice in notices:
        reason = error_text.localized(notice["error"]) if notice["error"] else ""
        lines.append("- " + t("explore.link_notice_item", param=error_text.escape(notice["param"]),
                               value=error_text.escape(notice["value"]), reason=error_text.escape(reason),
                               used=error_text.escape(notice["used"])))
    st.warning("\n".join(lines), icon=":material/link_off:")


def url_changes(spec_values: dict, fields: list[dict], preset_config: dict) -> dict:
    """The fields whose widget differs from the preset, spelled as in a link."""
    changes = {}
    for spec in fields:
        value = spec_values[spec["name"]]
        if value != config_form.widget_value(spec, preset_config[spec["name"]]):
            changes[spec["name"]] = json.dumps(value) if spec["kind"] == "bool" else value
    return changes


# The two pickers have no default option (index=None): a picker whose browser-side state is lost comes
# back empty rather than as its first option (AlexNet), so it cannot pass for a pick; render() then
# restores what the page showed last.
def on_family_change() -> None:
    url_state.acted()
    cat = services.catalog()
    family = st.session_state[K_FAMILY]
    if family is not None:
        load_preset(cat, next(n for n, p in cat["presets"].items() if p["family"] == family))


def on_preset_change() -> None:
    url_state.acted()
    if st.session_state[K_PRESET] is not None:
        load_preset(services.catalog(), st.session_state[K_PRESET])


# ---- sidebar --------------------------------------------------------------------------------------
def on_input_change() -> None:
    """A hyperparameter, the input size or the batch changed: only the results rerun (the RESULTS
    fragment); the sidebar, which shows the change already, is not sent to the browser again. When
    the config's verdict changes what the sidebar shows (an error, the Reset button), the whole page
    reruns instead, at once rather than after a fragment run that finds it out."""
    url_state.acted()
    cat = services.catalog()
    if not widgets_hold_a_model(cat):
        return  # the pickers lost their state in the same interaction: the full run restores the page
    inputs = held_inputs(cat)
    if sidebar_shows(inputs, evaluate(inputs)[2]) == st.session_state.get(SIDEBAR_SHOWS):
        st.rerun(RESULTS)


def sidebar(cat: dict, inputs: dict, error: dict | None) -> None:
    """Model choice, hyperparameters and input, with core's error right below the widget it names
    (below the input when it names no field), and Reset once the preset is changed."""
    bar = st.sidebar
    families = cat["families"]
    family = bar.selectbox(t("explore.family"), list(families), index=None, key=K_FAMILY,
                           on_change=on_family_change, format_func=lambda f: families[f]["title"], **_PERSIST)
    presets = [n for n, p in cat["presets"].items() if p["family"] == family]
    preset = bar.selectbox(t("explore.preset"), presets, index=None, key=K_PRESET,
                           on_change=on_preset_change, help=t("explore.preset_help"), **_PERSIST)
    bar.caption(cat["presets"][preset]["description"])
    bar.subheader(t("explore.hyper"))
    placed = config_form.render(family, families[family]["fields"], bar, on_input_change, error)
    if inputs["changes"]:
        bar.button(t("explore.reset"), key="explore.reset", on_click=on_preset_change)
    bar.subheader(t("explore.input"))
    left, right = bar.columns(2)
    # No bounds in the boxes: a typed 0 or 5000 reaches core, whose message goes below the box (a
    # bounded box would refuse it silently in the browser).
    number = dict(step=1, on_change=on_input_change, **_PERSIST)
    left.number_input(t("explore.height"), key=K_H, **number)
    right.number_input(t("explore.width"), key=K_W, **number)
    placed = placed or error_text.show_if(bar, error, "input_shape")
    bar.caption(t("explore.channels_note"))
    bar.number_input(t("explore.batch"), key=K_BATCH, **number)
    placed = placed or error_text.show_if(bar, error, "batch")
    if error and not placed:
        error_text.show(bar, error)
    st.session_state[SIDEBAR_SHOWS] = sidebar_shows(inputs, error)


def sidebar_shows(inputs: dict, error: dict | None) -> tuple:
    """What of the sidebar depends on the verdict: core's error, and whether Reset shows."""
    return error, bool(inputs["changes"])


# ---- core's verdict -------------------------------------------------------------------------------
def held_inputs(cat: dict) -> dict:
    """The model the widgets hold (a widget shows its session state): family, preset, field values,
    input size and batch."""
    state = st.session_state
    family, preset = state[K_FAMILY], state[K_PRESET]
    fields = cat["families"][family]["fields"]
    values = config_form.held(family, fields)
    return dict(family=family, preset=preset, values=values,
                changes=url_changes(values, fields, cat["presets"][preset]["config"]),
                height=state[K_H], width=state[K_W], batch=state[K_BATCH])


def evaluate(inputs: dict) -> tuple[dict | None, dict | None, dict | None]:
    """(model, its summary, error): the model is what the results show; the error goes beside its
    widget."""
    resolved = services.resolve(inputs["preset"], json.dumps(inputs["values"]))
    if "error" in resolved:
        return None, None, resolved["error"]
    input_shape = (resolved["config"]["in_channels"], inputs["height"], inputs["width"])
    summary = services.summary(resolved["family"], resolved["config_json"], input_shape, inputs["batch"])
    if "error" in summary:
        return None, None, summary["error"]
    name = resolved["preset"] or f"{inputs['preset']}*"
    # Downloads are named after the model; a browser would turn the * into _.
    file_stem = resolved["preset"] or f"{inputs['preset']}-custom"
    return dict(family=resolved["family"], config_json=resolved["config_json"],
                input_shape=list(input_shape), batch=inputs["batch"], name=name,
                file_stem=file_stem), summary, None


# ---- main area ------------------------------------------------------------------------------------
def metrics(summary: dict) -> None:
    cols = st.columns(4)
    cols[0].metric(t("metric.params"), exact(summary["total_params"]),
                   help=t("metric.params_help", exact=exact(summary["total_params"]),
                          trainable=exact(summary["trainable_params"])))
    cols[1].metric(t("metric.macs"), spelled(summary["macs"]),
                   help=t("metric.macs_help", exact=exact(summary["macs"]), batch=summary["batch"],
                          elem=exact(summary["elementwise_ops"])))
    cols[2].metric(t("metric.flops"), spelled(summary["flops"]),
                   help=t("metric.flops_help", exact=exact(summary["flops"])))
    cols[3].metric(t("metric.depth"), summary["depth"])
    st.caption(f"{t('metric.output')}: {shape(summary['output_shape'])} · "
               f"{t('metric.params')} ≈ {spelled(summary['total_params'])}")


def memory_estimate(model: dict) -> None:
    """core's training-memory estimate, on request: it costs a second or more per new model."""
    if not st.toggle(t("explore.memory"), key=K_MEMORY, **_ACTS):
        return
    report = services.memory_estimate(model["family"], model["config_json"], model["batch"],
                                      tuple(model["input_shape"]), "fp32", "sgd")
    if "error" in report:
        error_text.show(st, report["error"])
        return
    st.metric(t("explore.memory_value", **memory_labels(report)), f"{report['peak_mib']:,.0f} MiB",
              help=t("explore.memory_help", parameters=report["parameters_mib"],
                     gradients=report["gradients_mib"], optimizer=report["optimizer_state_mib"],
                     activations=report["activations_mib"]))


def active_tab(link: dict) -> None:
    """Set the open tab (its label follows the language); the loaded link's `tab` wins."""
    if link.get("tab") in TABS:
        st.session_state[K_TAB] = t(f"tab.{link['tab']}")
    localize_choice(K_TAB, TAB_LABELS, "graph")


def model_results(model: dict, summary: dict | None, family_title: str, tab: str) -> None:
    """Metrics and the open tab (only the open tab runs: switching tabs reruns the results). `summary` is
    the model's when the caller has it (every cache hit returns a fresh copy: fetch it once a run)."""
    args = (model["family"], model["config_json"], tuple(model["input_shape"]))
    summary = summary or services.summary(*args, model["batch"])
    metrics(summary)
    memory_estimate(model)
    growth = services.channels(*args)
    tabs = st.tabs([t(label) for label in TAB_LABELS.values()], key=K_TAB, on_change=url_state.acted)
    with tabs[TABS.index(tab)]:
        if tab == "graph":
            graph_view.render(model, summary["blocks"], growth)
        elif tab == "channels":
            st.plotly_chart(charts.channels_figure(growth["main_path"]), key="explore.channels_chart")
            if growth["dense_blocks"]:
                st.plotly_chart(charts.staircase_figure(growth["dense_blocks"]), key="explore.stairs_chart")
            else:
                st.caption(t("chan.no_dense"))
        elif tab == "layers":
            layer_table.render(summary)
        elif tab == "code":
            export_view.render(model)
        else:
            speed = services.roofline(*args, "h100")
            learn.render(model["family"], family_title, summary, growth, speed)


def widgets_hold_a_model(cat: dict) -> bool:
    """Whether the family and preset widgets' state names the preset last chosen, of that family.
    Every legitimate change of preset goes through load_preset (the widgets' callbacks, a link, the
    default), so any other value is a widget that lost its state and fell back to its first option."""
    family, preset = st.session_state.get(K_FAMILY), st.session_state.get(K_PRESET)
    return (preset in cat["presets"] and cat["presets"][preset]["family"] == family
            and preset == st.session_state.get(CHOSEN))


def render() -> None:
    cat = services.catalog()
    params, from_url = url_state.incoming()
    link = None  # the state to load: a link's, or the one this page last wrote into its link
    if from_url and "model" in params:
        link = params
    elif LAST_STATE in st.session_state and ("model" not in params or not widgets_hold_a_model(cat)):
        # Entered from another page (this page's own link always names a model; its tab widget, for
        # one, does not outlive a visit elsewhere), or the widgets lost their state: show what this
        # page showed last, as its link held it, rather than whatever the widgets fall back to.
        link = st.session_state[LAST_STATE]
    elif not widgets_hold_a_model(cat):
        load_preset(cat, DEFAULT_MODEL)
    if link:
        st.session_state[LINK_NOTICES] = load_url(cat, link)
    active_tab(link or {})
    inputs = held_inputs(cat)
    sidebar(cat, inputs, evaluate(inputs)[2])
    results(cat)


# The model's results, and its link. A change of a hyperparameter or the input reruns only this
# fragment (on_input_change), as do the widgets inside it (tab, expanded block, memory toggle): the
# browser then redraws the results alone, not the sidebar's two dozen widgets. The sidebar also shows
# core's error and the Reset button, which a fragment rerun cannot draw: when either should change, the
# whole page reruns. (A fragment rerun reuses the last full run's arguments: the catalogue.)
@st.fragment(key=RESULTS)
def results(cat: dict) -> None:
    if not widgets_hold_a_model(cat):
        st.rerun()  # the pickers lost their state (seen under load): the full run restores the page
    tab = chosen_id(st.session_state[K_TAB], TAB_LABELS)
    inputs = held_inputs(cat)
    model, summary, error = evaluate(inputs)
    if sidebar_shows(inputs, error) != st.session_state.get(SIDEBAR_SHOWS):
        st.rerun()
    if model:
        st.session_state[LAST_VALID] = model
    shown = model or st.session_state.get(LAST_VALID)
    # Shown once, by the run that loaded the link: the next action's run (often this fragment's
    # alone) draws the results without it.
    show_link_notices(st.session_state.pop(LINK_NOTICES, []))
    st.title(shown["name"] if shown else inputs["preset"])
    if inputs["changes"]:
        st.caption(t("explore.modified", preset=inputs["preset"]))
    if shown:
        if error:
            st.warning(t("explore.stale", name=shown["name"]))
        model_results(shown, summary, cat["families"][shown["family"]]["title"], tab)
    st.session_state[LAST_STATE] = url_state.publish({
        "lang": language(), "model": inputs["preset"], **inputs["changes"], "h": inputs["height"],
        "w": inputs["width"], "batch": inputs["batch"], "tab": tab, "expand": graph_view.expanded_block(),
        "memory": "true" if st.session_state.get(K_MEMORY) else None})


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
