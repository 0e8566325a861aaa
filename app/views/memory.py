"""Memory: what one training step keeps in memory, by phase. Measured on the GPU where the server
has one; otherwise the estimate (meta device, nothing allocated) beside a real CPU forward pass,
and the H100 measurements of docs/benchmarks.md as a cited reference."""
from __future__ import annotations

import json

import streamlit as st

from app import services
from app.components import error_text, live_memory, memory_charts, model_changes, slides, url_state
from app.components.i18n import language, t
from app.components.numbers import shape

DEFAULT_MODEL = "densenet121"
CPU_BATCH = 2  # the CPU pass allocates for real: small enough for any preset on a laptop
DTYPES, OPTIMIZERS = ("fp32", "bf16"), ("sgd", "adamw")
K_MODEL, K_CHANGES, K_H, K_W = "mem.model", "mem.changes", "mem.height", "mem.width"
K_BATCH, K_DTYPE, K_OPTIMIZER = "mem.batch", "mem.dtype", "mem.optimizer"
# This session's GPU jobs, the last of each action; the newest one's action; whether the page polls it.
K_JOBS, K_NEWEST, K_LIVE = "mem.jobs", "mem.newest", "mem.live"
_URL = {"model": K_MODEL, "set": K_CHANGES, "h": K_H, "w": K_W, "batch": K_BATCH, "dtype": K_DTYPE,
        "opt": K_OPTIMIZER}
_CHOICES = {K_DTYPE: DTYPES, K_OPTIMIZER: OPTIMIZERS}


def load_state(params: dict, from_url: bool, presets: dict) -> None:
    if from_url and params.get("model") in presets:
        for param, key in _URL.items():
            value = params.get(param)
            if value is None:
                continue
            if key in (K_H, K_W, K_BATCH):
                if (number := url_state.whole_number(value, 1, 4096)) is not None:
                    st.session_state[key] = number
            elif key not in _CHOICES or value in _CHOICES[key]:
                st.session_state[key] = value
    st.session_state.setdefault(K_MODEL, DEFAULT_MODEL)
    _, h, w = presets[st.session_state[K_MODEL]]["input_shape"]
    defaults = {K_CHANGES: "", K_H: h, K_W: w, K_BATCH: 64, K_DTYPE: "fp32", K_OPTIMIZER: "sgd"}
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)


def on_model_change() -> None:
    url_state.acted()
    preset = services.catalog()["presets"][st.session_state[K_MODEL]]
    _, st.session_state[K_H], st.session_state[K_W] = preset["input_shape"]


def sidebar(presets: dict) -> dict:
    bar = st.sidebar
    linked = dict(on_change=url_state.acted)  # the link holds them: url_state.acted
    model = bar.selectbox(t("train.model"), list(presets), key=K_MODEL, on_change=on_model_change)
    changes = bar.text_input(t("compare.overrides"), key=K_CHANGES, help=t("compare.overrides_help"),
                             **linked)
    left, right = bar.columns(2)
    height = left.number_input(t("explore.height"), 1, 4096, key=K_H, **linked)
    width = right.number_input(t("explore.width"), 1, 4096, key=K_W, **linked)
    batch = bar.number_input(t("explore.batch"), 1, 4096, key=K_BATCH, **linked)
    dtype = bar.segmented_control(t("mem.dtype"), DTYPES, key=K_DTYPE, required=True, **linked)
    optimizer = bar.segmented_control(t("mem.optimizer"), OPTIMIZERS, key=K_OPTIMIZER, required=True,
                                      **linked)
    return dict(model=model, changes=changes, height=height, width=width, batch=batch, dtype=dtype,
                optimizer=optimizer)


def resolve(inputs: dict, presets: dict) -> dict:
    """{"changes_json", "config", "input_shape"} or {"error": core's error dict}."""
    resolved = model_changes.resolve(inputs["model"], inputs["changes"])
    if "error" in resolved:
        return {"error": resolved["error"]}
    channels = model_changes.input_for(presets[inputs["model"]], resolved["config"])[0]
    return {"changes_json": resolved["changes_json"], "config": resolved["config"],
            "input_shape": (channels, inputs["height"], inputs["width"])}


def breakdown(inputs: dict, model: dict, gpu: dict) -> None:
    """The estimate at the chosen batch, and the same batch measured (GPU) or a small CPU pass."""
    args = (inputs["model"], model["changes_json"])
    estimate = services.memory_estimate(*args, inputs["batch"], model["input_shape"], inputs["dtype"],
                                        inputs["optimizer"])
    if "error" in estimate:
        error_text.show(st, estimate["error"])
        return
    reports = [estimate]
    if gpu["cuda"]:
        action_button("measure", inputs, model, type="primary")
        measured = finished("measure", inputs, model)
        if measured and "error" in measured:
            error_text.show(st, measured["error"])
        elif measured:
            reports.append(measured)
    else:
        small = min(inputs["batch"], CPU_BATCH)
        if small != inputs["batch"]:  # the estimate at the CPU pass's batch, for a like-for-like check
            reports.append(services.memory_estimate(*args, small, model["input_shape"], inputs["dtype"],
                                                    inputs["optimizer"]))
        reports.append(services.memory_cpu(*args, small, model["input_shape"], inputs["dtype"],
                                           inputs["optimizer"]))
    for refused in [r for r in reports if "error" in r]:  # the CPU pass past the job budget, say
        error_text.show(st, refused["error"])
    reports = [r for r in reports if "error" not in r]
    for column, report in zip(st.columns(len(reports)), reports, strict=True):
        column.metric(t("mem.peak", **memory_charts.labels(report)), f"{report['peak_mib']:,.0f} MiB")
    # One chart per batch size: batch 64 beside batch 2 would flatten the small bars.
    by_batch: dict[int, list] = {}
    for report in reports:
        by_batch.setdefault(report["batch"], []).append(report)
    for i, (column, shown) in enumerate(zip(st.columns(len(by_batch)), by_batch.values(), strict=True)):
        figure = memory_charts.breakdown_figure(shown, t("mem.breakdown", batch=shown[0]["batch"]))
        column.plotly_chart(figure, key=f"mem.breakdown{i}")
        slides.chart_downloads(f"mem.breakdown{i}", slide_caption(inputs, model),
                               f"{inputs['model']}-memory-batch{shown[0]['batch']}", column)
    if not gpu["cuda"]:
        st.caption(t("mem.cpu_caption", batch=reports[-1]["batch"]))


def slide_caption(inputs: dict, model: dict) -> str:
    """The model, its changes and input (slides.caption), with the step's precision and optimizer."""
    named = slides.caption({"name": inputs["model"], "input_shape": model["input_shape"]},
                           json.loads(model["changes_json"]))
    return " · ".join((named, inputs["dtype"], inputs["optimizer"]))


def efficient_comparison(inputs: dict, model: dict) -> None:
    """Plain vs memory_efficient DenseNet at the same settings (estimates)."""
    changes = json.loads(model["changes_json"])
    reports = []
    for efficient in (False, True):
        variant = json.dumps({**changes, "memory_efficient": efficient})
        report = services.memory_estimate(inputs["model"], variant, inputs["batch"], model["input_shape"],
                                          inputs["dtype"], inputs["optimizer"])
        if "error" in report:
            return
        reports.append(report)
    labels = [f"{t(name)} · {memory_charts.bar_label(r)}" for name, r in zip(("mem.plain", "mem.efficient"),
                                                                             reports, strict=True)]
    st.plotly_chart(memory_charts.breakdown_figure(reports, t("mem.efficient_title"), labels),
                    key="mem.efficient_chart")
    slides.chart_downloads("mem.efficient_chart", slide_caption(inputs, model),
                           f"{inputs['model']}-memory-efficient")
    st.caption(t("mem.efficient_caption", ratio=reports[0]["peak"] / reports[1]["peak"]))


# ---- GPU actions: each runs as a background job, its memory sampled live -----------------------------
def job_settings(action: str, inputs: dict, model: dict) -> dict:
    """What the GPU action (app/workers/memory.py ACTIONS[action]) is called with for the page's inputs."""
    settings = dict(model=inputs["model"], changes_json=model["changes_json"],
                    input_shape=tuple(model["input_shape"]), dtype=inputs["dtype"],
                    optimizer=inputs["optimizer"])
    return settings if action == "max_batch" else {**settings, "batch": inputs["batch"]}


def jobs() -> dict[str, services.MemoryJob]:
    return st.session_state.setdefault(K_JOBS, {})


def finished(action: str, inputs: dict, model: dict) -> dict | None:
    """The result of this session's last `action`, when it ran with the inputs the page shows now."""
    job = jobs().get(action)
    if job and job.done and job.settings == job_settings(action, inputs, model):
        return job.result
    return None


def action_button(action: str, inputs: dict, model: dict, **style) -> None:
    """Start `action` in the background (one job per session at a time)."""
    busy = any(not job.done for job in jobs().values())
    if st.button(t(f"mem.{action}"), key=f"mem.{action}", disabled=busy, **style):
        jobs()[action] = services.MemoryJob(action, job_settings(action, inputs, model), services.user_id())
        st.session_state[K_NEWEST], st.session_state[K_LIVE] = action, True
        st.rerun()  # draw the page with the job running


def job_progress(job: services.MemoryJob, slide: tuple[str, str]) -> None:
    """Status and the live memory view (`slide`: its slide files' caption and stem); polled every
    second while the job runs."""
    if not job.done:
        st.info(t("mem.job_waiting" if job.waiting else "mem.job_running", action=t(f"mem.{job.action}")),
                icon=":material/hourglass_top:")
    live_memory.render(job.memory.samples, job.memory.cuda, key="mem.live_chart",
                       slide=slide)
    if job.done and st.session_state.get(K_LIVE):
        st.session_state[K_LIVE] = False
        st.rerun()  # the whole page: the result where it belongs, the buttons enabled


def timeline(inputs: dict, model: dict, gpu: dict) -> None:
    action_button("timeline", inputs, model)
    result = finished("timeline", inputs, model)
    if result and "error" in result:
        error_text.show(st, result["error"])
    elif result:
        title = t("mem.timeline_title", device=gpu["name"])
        st.plotly_chart(memory_charts.timeline_figure(result["points"], title), key="mem.timeline_chart")
        slides.chart_downloads("mem.timeline_chart", slide_caption(inputs, model),
                               f"{inputs['model']}-memory-timeline")


def max_batch(inputs: dict, model: dict) -> None:
    action_button("max_batch", inputs, model)
    found = finished("max_batch", inputs, model)
    if found and "error" in found:
        error_text.show(st, found["error"])
    elif found:
        st.success(t("mem.max_batch_result", batch=found["max_batch"], tried=len(found["tried"]),
                     restored=found["baseline_restored"]))


def render() -> None:
    presets = services.catalog()["presets"]
    params, from_url = url_state.incoming()
    load_state(params, from_url, presets)
    st.title(t("mem.title"))
    gpu = services.device_info()
    if gpu["cuda"]:
        st.success(t("mem.gpu", name=gpu["name"], total=f"{gpu['total_mib']:,.0f}"))
    else:
        st.info(t("mem.no_gpu"), icon=":material/info:")
    inputs = sidebar(presets)
    model = resolve(inputs, presets)
    if "error" in model:
        error_text.show(st, model["error"])
    else:
        st.caption(" · ".join((inputs["model"], shape(model["input_shape"]), inputs["dtype"],
                               inputs["optimizer"])))
        with st.spinner():
            breakdown(inputs, model, gpu)
            if gpu["cuda"]:
                timeline(inputs, model, gpu)
                max_batch(inputs, model)
        job = jobs().get(st.session_state.get(K_NEWEST))
        if gpu["cuda"] and job:
            slide = (slide_caption(inputs, model), f"{inputs['model']}-memory-{job.action}-live")
            st.fragment(job_progress, run_every=None if job.done else 1.0)(job, slide)
        with st.spinner():
            if model["config"].get("memory_efficient") is not None:
                efficient_comparison(inputs, model)
    with st.expander(t("mem.reference")):
        st.markdown(services.benchmark_section("memory"))
    url_state.publish({"lang": language(), **url_state.from_session(_URL)})


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
