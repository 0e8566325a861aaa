"""Explore: one model — metrics, graph, channels, layer table, code/exports and a Learn tab.

The sidebar is generated from the family's config schema; the widgets' values go to core as they
are, and core's verdict (a config or a ConfigError naming a field) decides what the page shows. The
page's state is one object (explore_state): the widgets and the link are drawn from it.
"""
from __future__ import annotations

import json

import streamlit as st

from app import services
from app.components import (
    charts,
    config_form,
    error_text,
    explore_inside,
    export_view,
    graph_view,
    layer_table,
    learn,
    slides,
    url_state,
)
from app.components import explore_state as state
from app.components.i18n import chosen_id, language, t
from app.components.memory_charts import labels as memory_labels
from app.components.numbers import exact, shape, spelled

TAB_LABELS = {tab: f"tab.{tab}" for tab in state.TABS}
K_TAB, K_MEMORY = "explore.tab", "explore.memory"
SHOWN = "explore.shown"  # the last model core accepted: it stays on screen while a change is refused
RESULTS = "explore_results"  # the results fragment's key
# What of the sidebar depends on core's verdict, as last drawn: its error (input_error), or None. (Reset
# is drawn with the results: in the sidebar, each step to or from the preset's value reran the page.)
SIDEBAR_SHOWS = "explore.sidebar_shows"
LINK_NOTICES = "explore.link_notices"  # what the link being loaded asked for and core refused
# The Layers table's selection; the key gets the number of picks acted on, so that the table drawn
# after a pick is a fresh one, nothing selected (coming back to it does not open the pick again).
K_LAYER_PICK, PICKS = "explore.layer_pick", "explore.picks"


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


# ---- widget callbacks: each puts its widget's change into the state --------------------------------
# The two pickers have no default option (index=None): a picker whose browser-side state is lost comes
# back empty rather than as its first option (AlexNet), so it cannot pass for a pick; the state is then
# unchanged and the next run shows it in the picker again.
def on_family_change() -> None:
    url_state.acted()
    family = st.session_state[state.K_FAMILY]
    if family is not None:
        cat = services.catalog()
        first = next(n for n, p in cat["presets"].items() if p["family"] == family)
        state.put(state.of_preset(cat, first, keep=state.current()))


def on_preset_change() -> None:
    url_state.acted()
    if st.session_state[state.K_PRESET] is not None:
        state.put(state.of_preset(services.catalog(), st.session_state[state.K_PRESET], keep=state.current()))


def on_reset() -> None:
    url_state.acted()
    state.put(state.of_preset(services.catalog(), state.current().preset, keep=state.current()))


def on_field_change(name: str) -> None:
    state.take_field(name)
    rerun_results_only()


def on_input_change(key: str) -> None:
    state.take_input(key)
    rerun_results_only()


def on_tab_change() -> None:
    url_state.acted()
    state.current().tab = chosen_id(st.session_state[K_TAB], TAB_LABELS)


def on_memory_change() -> None:
    url_state.acted()
    state.current().memory = st.session_state[K_MEMORY]


def on_expand_change(block: str | None) -> None:
    url_state.acted()
    state.current().expand = block or ""


def on_node_change(path: str) -> None:
    url_state.acted()
    state.current().node = path


def rerun_results_only() -> None:
    """A hyperparameter, the input size or the batch changed: only the results rerun (the RESULTS
    fragment); the sidebar, which shows the change already, is not sent to the browser again. When
    the verdict changes what the sidebar shows (an error), or a sidebar widget lost its state, the
    whole page reruns instead, at once rather than after a fragment run finds it out."""
    url_state.acted()
    now = state.current()
    unchanged = input_error(evaluate(now)[2]) == st.session_state.get(SIDEBAR_SHOWS)
    if state.widgets_show(now) and unchanged:
        st.rerun(RESULTS)


# ---- sidebar --------------------------------------------------------------------------------------
def sidebar(cat: dict, now: state.ExploreState, error: dict | None) -> None:
    """Model choice, hyperparameters and input, with core's error right below the widget it names
    (below the input when it names no field)."""
    error = input_error(error)
    state.show_in(now.sidebar_widgets())
    bar = st.sidebar
    families = cat["families"]
    bar.selectbox(t("explore.family"), list(families), index=None, key=state.K_FAMILY,
                  on_change=on_family_change, format_func=lambda f: families[f]["title"])
    presets = [n for n, p in cat["presets"].items() if p["family"] == now.family]
    bar.selectbox(t("explore.preset"), presets, index=None, key=state.K_PRESET,
                  on_change=on_preset_change, help=t("explore.preset_help"))
    bar.caption(cat["presets"][now.preset]["description"])
    bar.subheader(t("explore.hyper"))
    fields = cat["families"][now.family]["fields"]
    placed = config_form.render(now.family, fields, bar, on_field_change, error)
    bar.subheader(t("explore.input"))
    left, right = bar.columns(2)
    # No bounds in the boxes: a typed 0 or 5000 reaches core, whose message goes below the box (a
    # bounded box would refuse it silently in the browser).
    number = dict(step=1, on_change=on_input_change)
    left.number_input(t("explore.height"), key=state.K_H, args=(state.K_H,), **number)
    right.number_input(t("explore.width"), key=state.K_W, args=(state.K_W,), **number)
    placed = placed or error_text.show_if(bar, error, "input_shape")
    bar.caption(t("explore.channels_note"))
    bar.number_input(t("explore.batch"), key=state.K_BATCH, args=(state.K_BATCH,), **number)
    placed = placed or error_text.show_if(bar, error, "batch")
    if error and not placed:
        error_text.show(bar, error)
    st.session_state[SIDEBAR_SHOWS] = error


def input_error(error: dict | None) -> dict | None:
    """`error` when it is the input's fault; None for the job engine's (restarting, busy, a deadline),
    which the results area says instead: no widget is wrong."""
    return None if error and error["field"] == "job" else error


# ---- core's verdict -------------------------------------------------------------------------------
def evaluate(now: state.ExploreState) -> tuple[dict | None, dict | None, dict | None]:
    """(model, its summary, error): the model is what the results show; the error goes beside its
    widget."""
    resolved = services.resolve(now.preset, json.dumps(now.values))
    if "error" in resolved:
        return None, None, resolved["error"]
    input_shape = (resolved["config"]["in_channels"], now.height, now.width)
    summary = services.summary(resolved["family"], resolved["config_json"], input_shape, now.batch)
    if "error" in summary:
        return None, None, summary["error"]
    name = resolved["preset"] or f"{now.preset}*"
    # Downloads are named after the model; a browser would turn the * into _.
    file_stem = resolved["preset"] or f"{now.preset}-custom"
    return dict(family=resolved["family"], config_json=resolved["config_json"],
                input_shape=list(input_shape), batch=now.batch, name=name,
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


def memory_estimate(model: dict, memory: bool) -> None:
    """core's training-memory estimate, on request: it costs a second or more per new model."""
    state.show_in({K_MEMORY: memory})
    if not st.toggle(t("explore.memory"), key=K_MEMORY, on_change=on_memory_change):
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


def model_results(model: dict, summary: dict | None, family_title: str, now: state.ExploreState) -> None:
    """Metrics and the open tab (only the open tab runs: switching tabs reruns the results). `summary` is
    the model's when the caller has it (every cache hit returns a fresh copy: fetch it once a run)."""
    args = (model["family"], model["config_json"], tuple(model["input_shape"]))
    summary = summary or services.summary(*args, model["batch"])
    metrics(summary)
    memory_estimate(model, now.memory)
    growth = services.channels(*args)
    if "error" in growth:  # an engine failure (its deadline, its memory): said, the page carries on
        error_text.show(st, growth["error"])
        return
    if now.expand not in summary["blocks"]:
        now.expand = ""  # no such block in this model: the block view
    caption = slides.caption(model, state.changes(services.catalog(), now))  # under a slide's figure
    state.show_in({K_TAB: t(TAB_LABELS[now.tab])})  # the label follows the language
    tabs = st.tabs([t(label) for label in TAB_LABELS.values()], key=K_TAB, on_change=on_tab_change)
    with tabs[state.TABS.index(now.tab)]:
        if now.tab == "graph":
            selection = graph_view.Selection(now.node, on_node_change,
                                             lambda node: open_inside(model, node, now))
            graph_view.render(model, summary, growth, now.expand, on_expand_change, selection, caption)
        elif now.tab == "channels":
            st.plotly_chart(charts.channels_figure(growth["main_path"]), key="explore.channels_chart")
            slides.chart_downloads("explore.channels_chart", caption, f"{model['file_stem']}-channels")
            if growth["dense_blocks"]:
                st.plotly_chart(charts.staircase_figure(growth["dense_blocks"]), key="explore.stairs_chart")
                slides.chart_downloads("explore.stairs_chart", caption, f"{model['file_stem']}-dense-inputs")
            else:
                st.caption(t("chan.no_dense"))
        elif now.tab == "layers":
            layers_tab(model, summary, now)
        elif now.tab == "inside":
            explore_inside.render(model, state.changes(services.catalog(), now))
        elif now.tab == "code":
            export_view.render(model)
        else:
            speed = services.roofline(*args, "h100")
            learn.render(model["family"], family_title, summary, growth, speed)


def layers_tab(model: dict, summary: dict, now: state.ExploreState) -> None:
    """The table; a row selected opens that layer's feature maps on the Inside tab."""
    picks = st.session_state.get(PICKS, 0)
    layer = layer_table.render(summary, f"{K_LAYER_PICK}.{picks}")
    if layer is not None:
        st.session_state[PICKS] = picks + 1 if layer in explore_inside.openable(model) else picks
        open_inside(model, layer, now)


def open_inside(model: dict, layer: str, now: state.ExploreState) -> None:
    """The Inside tab, at this layer (picked in the graph or the table); a layer without a map to
    show says why, and the page stays."""
    if layer not in explore_inside.openable(model):
        st.info(t("layers.no_maps", layer=error_text.escape(layer)))
        return
    explore_inside.open_at(model, layer)
    url_state.acted()
    now.tab = "inside"
    st.rerun()


def render() -> None:
    cat = services.catalog()
    params, from_url = url_state.incoming()
    if from_url and "model" in params:  # a pasted link, a new tab, Back or Forward
        loaded, st.session_state[LINK_NOTICES] = state.from_link(cat, params, evaluate)
        state.put(loaded)
    elif state.current() is None:
        state.put(state.of_preset(cat, state.DEFAULT_MODEL))
    # Entered from another page (whose link names no model), the state is the one this page left.
    now = state.current()
    sidebar(cat, now, evaluate(now)[2])
    results(cat)


# The model's results, and its link. A change of a hyperparameter or the input reruns only this
# fragment (rerun_results_only), as do the widgets inside it (tab, expanded block, memory toggle): the
# browser then redraws the results alone, not the sidebar's two dozen widgets. The sidebar also shows
# core's error, which a fragment rerun cannot draw: when it should change, the whole page reruns. (A
# fragment rerun reuses the last full run's arguments: the catalogue.)
@st.fragment(key=RESULTS)
def results(cat: dict) -> None:
    now = state.current()
    if not state.widgets_show(now):
        st.rerun()  # a sidebar widget lost its state (seen under load): the full run shows it again
    model, summary, error = evaluate(now)
    if input_error(error) != st.session_state.get(SIDEBAR_SHOWS):
        st.rerun()
    if model:
        st.session_state[SHOWN] = model
    shown = model or st.session_state.get(SHOWN)
    # Shown once, by the run that loaded the link: the next action's run (often this fragment's
    # alone) draws the results without it.
    show_link_notices(st.session_state.pop(LINK_NOTICES, []))
    st.title(shown["name"] if shown else now.preset)
    if state.changes(cat, now):  # Reset: the sidebar's widgets then show the preset (a full run)
        st.caption(t("explore.modified", preset=now.preset))
        st.button(t("explore.reset"), key="explore.reset", on_click=on_reset)
    if error and not input_error(error):
        error_text.show(st, error)
    if shown:
        if input_error(error):
            st.warning(t("explore.stale", name=shown["name"]))
        model_results(shown, summary, cat["families"][shown["family"]]["title"], now)
    url_state.publish(state.link(cat, now, language()))


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
