"""Compare: 2–4 models side by side, and ResNet vs DenseNet parameters against depth."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import services
from app.components import (
    architecture_diff,
    charts,
    compare_explain,
    error_text,
    model_changes,
    slides,
    url_state,
)
from app.components.i18n import chosen_id, language, localize_choice, t
from app.components.numbers import exact, shape, spelled
from app.components.reference import DEPTH_SERIES, IMAGENET_TOP1

DEFAULT_MODELS = ("resnet50", "densenet121", "densenet169", "resnet18")
MEMORY_BATCH = 32  # the compared training step: fp32, SGD with momentum, this batch
METRIC_LABELS = {"params": "compare.bars_params", "gmacs": "compare.bars_gmacs",
                 "depth": "compare.bars_depth", "memory": "compare.bars_memory"}
METRIC_VALUES = {"params": lambda m: m["summary"]["total_params"] / 1e6,
                 "gmacs": lambda m: m["summary"]["macs"] / 1e9, "depth": lambda m: m["summary"]["depth"],
                 "memory": lambda m: m["memory"]["peak_mib"] if m["memory"] else 0}
K_COUNT, K_METRIC, K_GPU = "compare.count", "compare.metric", "compare.gpu"
GPUS = ("h100", "rtx4060_laptop")  # core/roofline.py's named GPUs
SPEED_BATCH = 64  # the batch of the H100 measurements in docs/benchmarks.md
# Every widget here is in the link, and says when it changes (url_state.acted).
_PERSIST = dict(on_change=url_state.acted, persist_state="session")


def model_key(i: int) -> str:
    return f"compare.model{i}"


def changes_key(i: int) -> str:
    return f"compare.set{i}"


def load_url(params: dict, presets: dict) -> None:
    if (count := url_state.whole_number(params.get("n"), 2, 4)) is not None:
        st.session_state[K_COUNT] = count
    for i in range(1, 5):
        if params.get(f"m{i}") in presets:
            st.session_state[model_key(i)] = params[f"m{i}"]
        st.session_state[changes_key(i)] = params.get(f"set{i}", "")
    if params.get("metric") in METRIC_LABELS:
        st.session_state[K_METRIC] = t(METRIC_LABELS[params["metric"]])
    if params.get("gpu") in GPUS:
        st.session_state[K_GPU] = params["gpu"]


def ensure_defaults() -> None:
    st.session_state.setdefault(K_COUNT, 2)
    for i, name in enumerate(DEFAULT_MODELS, start=1):
        st.session_state.setdefault(model_key(i), name)
        st.session_state.setdefault(changes_key(i), "")


def evaluate(name: str, text: str, presets: dict) -> dict:
    """{"name", "summary"} for one slot, or {"error": core's error dict}."""
    resolved = model_changes.resolve(name, text)
    if "error" in resolved:
        return {"error": resolved["error"]}
    input_shape = model_changes.input_for(presets[name], resolved["config"])
    summary = services.summary(resolved["family"], resolved["config_json"], input_shape)
    if "error" in summary:
        return {"error": summary["error"]}
    changes = resolved["changes_json"]
    memory = services.memory_estimate(name, changes, MEMORY_BATCH, input_shape, "fp32", "sgd")
    label = name + (f" ({text.strip()})" if changes != "{}" else "")
    return {"name": label, "summary": summary, "memory": None if "error" in memory else memory,
            "model": (resolved["family"], resolved["config_json"], input_shape)}


def slots(presets: dict) -> list[dict]:
    """The model pickers; returns one evaluated dict per slot (errors shown beside their slot)."""
    count = st.segmented_control(t("compare.count"), [2, 3, 4], key=K_COUNT, required=True, **_PERSIST)
    results = []
    for i, column in enumerate(st.columns(count), start=1):
        with column:
            name = st.selectbox(t("compare.model", i=i), list(presets), key=model_key(i), **_PERSIST)
            text = st.text_input(t("compare.overrides"), key=changes_key(i), help=t("compare.overrides_help"),
                                 placeholder="growth_rate=12", **_PERSIST)
            result = evaluate(name, text, presets)
            if "error" in result:
                error_text.show(st, result["error"])
            results.append(result)
    return results


def table(models: list[dict]) -> None:
    memory = t("compare.col_memory")
    rows = [{t("compare.col_model"): m["name"], t("compare.col_input"): shape(m["summary"]["input_shape"]),
             t("metric.params"): exact(m["summary"]["total_params"]),
             t("metric.macs"): spelled(m["summary"]["macs"]),
             t("metric.flops"): spelled(m["summary"]["flops"]),
             t("metric.depth"): m["summary"]["depth"],
             memory: f"{m['memory']['peak_mib']:,.0f}" if m["memory"] else "–"} for m in models]
    # A static table wraps its cells to the page width: a data grid scrolls sideways instead, which
    # cut off the last column on a projector once a model's changes made its name long.
    st.table(pd.DataFrame(rows), hide_index=True)  # a Styler to hide it: 29 % of Compare's CPU
    st.caption(t("compare.memory_note", kind=t("mem.estimate"), batch=MEMORY_BATCH, dtype="fp32"))


def speed(models: list[dict]) -> None:
    """Bytes moved and the roofline's predicted training throughput on a GPU, beside the H100's
    measured throughput where docs/benchmarks.md has it: why few FLOPs need not mean fast."""
    st.subheader(t("compare.speed_title"))
    st.session_state.setdefault(K_GPU, GPUS[0])
    gpu = st.segmented_control(t("compare.gpu"), GPUS, key=K_GPU, required=True,
                               format_func=lambda g: t(f"compare.gpu_{g}"), **_PERSIST)
    reports = [services.roofline(*m["model"], gpu, "fp32", SPEED_BATCH) for m in models]
    rows = []
    for m, r in zip(models, reports, strict=True):
        if "error" in r:
            continue
        measured = r["measured_examples_per_second"]
        rows.append({t("compare.col_model"): m["name"],
                     t("compare.col_gflops"): f"{r['flops'] / SPEED_BATCH / 1e9:.2f}",
                     t("compare.col_moved"): f"{r['bytes'] / SPEED_BATCH / 1e6:,.0f}",
                     t("compare.col_intensity"): f"{r['intensity']:.1f}",
                     t("compare.col_memory_bound"): f"{r['memory_bound_share']:.0%}",
                     t("compare.col_predicted"): f"{r['training_examples_per_second']:,.0f}",
                     t("compare.col_measured"): f"{measured:,}" if measured else "–",
                     t("compare.col_efficiency"): f"{measured / r['training_examples_per_second']:.2f}"
                     if measured else "–"})
    if rows:
        st.table(pd.DataFrame(rows), hide_index=True)  # a Styler to hide it: 29 % of Compare's CPU
        first = next(r for r in reports if "error" not in r)
        st.caption(t("compare.speed_note", batch=SPEED_BATCH, ridge=first["ridge"], source=first["source"]))


@st.cache_data(show_spinner=False)
def depth_points() -> dict:
    """Per series key: [{name, depth, params}] of its presets at their own default inputs."""
    points = {}
    for key, names in DEPTH_SERIES.items():
        points[key] = []
        for name in names:
            resolved = services.resolve(name, "{}")
            s = services.summary(resolved["family"], resolved["config_json"],
                                 tuple(services.catalog()["presets"][name]["input_shape"]))
            points[key].append({"name": name, "depth": s["depth"], "params": s["total_params"]})
    return points


def family_charts() -> None:
    points = depth_points()
    st.plotly_chart(charts.depth_figure({t(k): v for k, v in points.items()}), key="compare.depth_chart")
    slides.chart_downloads("compare.depth_chart", " · ".join(t(k) for k in points), "depth-and-parameters")
    imagenet = {t(k): [dict(p, top1=IMAGENET_TOP1[p["name"]]) for p in points[k]
                       if p["name"] in IMAGENET_TOP1]
                for k in ("series.resnet_imagenet", "series.densenet_imagenet")}
    st.plotly_chart(charts.accuracy_figure(imagenet, t("compare.acc_source")), key="compare.acc_chart")
    slides.chart_downloads("compare.acc_chart", t("compare.acc_source"), "imagenet-accuracy")


def render() -> None:
    presets = services.catalog()["presets"]
    params, from_url = url_state.incoming()
    if from_url and "m1" in params:
        load_url(params, presets)
    ensure_defaults()
    st.title(t("compare.title"))
    results = slots(presets)
    models = [r for r in results if "summary" in r]
    if models:
        st.subheader(t("compare.table"))
        table(models)
        labels = localize_choice(K_METRIC, METRIC_LABELS, "params")
        label = st.segmented_control(" ", labels, key=K_METRIC, required=True, label_visibility="collapsed",
                                     **_PERSIST)
        value_of = METRIC_VALUES[chosen_id(label, METRIC_LABELS)]
        st.plotly_chart(charts.bars_figure([m["name"] for m in models], [value_of(m) for m in models], label),
                        key="compare.bars_chart")
        slides.chart_downloads("compare.bars_chart", " · ".join(
            t("slides.model_at", name=m["name"], shape=shape(m["summary"]["input_shape"])) for m in models),
            "compare")
        speed(models)
        reasons = compare_explain.lines(models)
        if reasons:
            st.subheader(t("compare.why_title"))
            st.markdown("\n\n".join(reasons))
        if len(models) >= 2:
            architecture_diff.render(models)
    family_charts()
    count = st.session_state[K_COUNT]
    state = {"n": count, "metric": chosen_id(st.session_state[K_METRIC], METRIC_LABELS) if models else None,
             "gpu": st.session_state.get(K_GPU) if models else None}
    for i in range(1, count + 1):
        state[f"m{i}"] = st.session_state[model_key(i)]
        state[f"set{i}"] = st.session_state[changes_key(i)] or None
    url_state.publish({"lang": language(), **state})


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
