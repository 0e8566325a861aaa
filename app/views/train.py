"""Train: a network on Fashion-MNIST (where its Debian package is installed; else digits, or what the
deployer lists) as a job of the engine (its own worker process), with live curves, Stop, the checkpoint
to download, and a way into Connections.

The run object lives in this session's state only; its model never leaves the worker.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import streamlit as st

from app import services
from app.components import checkpoint_picker, error_text, live_memory, slides, training_charts, url_state
from app.components.i18n import language, t
from app.components.model_changes import parse_changes

# A DenseNet small enough that a class sees its first epoch end within a lesson's minute or two (the
# page states the time it measures before Start), with dense blocks for Connections to draw.
DEFAULT_MODEL, DEFAULT_CHANGES = "densenet40_k12", "block_config=2,2,2"
OPTIMIZERS, PRECISIONS = ("sgd", "adamw"), ("auto", "fp32", "bf16")
K_MODEL, K_CHANGES, K_DATASET = "train.model", "train.changes", "train.dataset"
K_EPOCHS, K_BATCH, K_OPTIMIZER = "train.epochs", "train.batch", "train.optimizer"
K_SIZE, K_PRECISION, K_MORE = "train.size", "train.precision", "train.more_epochs"
# Training-set sizes offered per dataset (0: the whole set); a class's CPU run starts small.
TRAIN_SIZES = {"fashion-mnist": (5000, 20000, 0)}
RUN, LIVE = checkpoint_picker.TRAINING_RUN, "train.live"
_URL = {"model": K_MODEL, "set": K_CHANGES, "dataset": K_DATASET, "epochs": K_EPOCHS, "batch": K_BATCH,
        "opt": K_OPTIMIZER, "size": K_SIZE, "precision": K_PRECISION}
_DEFAULTS = {K_MODEL: DEFAULT_MODEL, K_CHANGES: DEFAULT_CHANGES, K_DATASET: "", K_EPOCHS: 3,
             K_BATCH: 64, K_OPTIMIZER: "sgd", K_SIZE: 5000, K_PRECISION: "auto"}


def load_state(params: dict, from_url: bool, presets: dict) -> None:
    for key, value in _DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if not (from_url and "model" in params):
        return
    for param, key in _URL.items():
        value = params.get(param)
        if value is None:
            continue
        if key == K_SIZE:
            if (number := url_state.whole_number(value, 0, 10**7)) is not None:
                st.session_state[key] = number
        elif isinstance(_DEFAULTS[key], int):
            if (number := url_state.whole_number(value, 1, 1000)) is not None:
                st.session_state[key] = number
        elif key == K_DATASET:
            if value in services.allowed_datasets():
                st.session_state[key] = value
        elif key == K_PRECISION:
            if value in PRECISIONS:
                st.session_state[key] = value
        elif key != K_MODEL or value in presets:
            st.session_state[key] = value
    if params.get("model") in presets and "set" not in params:  # changes belong to their model
        st.session_state[K_CHANGES] = _changes_for(params["model"])


def _changes_for(model: str) -> str:
    return DEFAULT_CHANGES if model == DEFAULT_MODEL else ""


def _model_changed() -> None:
    """A model's changes are its own: another model starts from its preset (or the page's default)."""
    st.session_state[K_CHANGES] = _changes_for(st.session_state[K_MODEL])
    url_state.acted()


def settings_form(presets: dict, running: bool) -> dict:
    """The run's inputs (disabled while a run is going)."""
    common = dict(disabled=running, on_change=url_state.acted)  # the link holds them: url_state.acted
    left, middle, right = st.columns([2, 2, 1])
    model = left.selectbox(t("train.model"), list(presets), key=K_MODEL, disabled=running,
                           on_change=_model_changed)
    changes = middle.text_input(t("compare.overrides"), key=K_CHANGES, help=t("compare.overrides_help"),
                                **common)
    optimizer = right.selectbox(t("train.optimizer"), OPTIMIZERS, key=K_OPTIMIZER, **common)
    left, middle, right = st.columns([2, 1, 1])
    datasets = list(services.allowed_datasets())
    if st.session_state.get(K_DATASET) not in datasets:
        st.session_state[K_DATASET] = datasets[0]
    dataset = left.selectbox(t("train.dataset"), datasets, key=K_DATASET, help=t("train.dataset_help"),
                             **common)
    epochs = middle.number_input(t("train.epochs"), 1, 1000, key=K_EPOCHS, **common)
    batch = right.number_input(t("train.batch"), 1, 4096, key=K_BATCH, **common)
    sizes = TRAIN_SIZES.get(dataset, (0,))
    if st.session_state.get(K_SIZE) not in sizes:
        st.session_state[K_SIZE] = sizes[0]
    left, right = st.columns([3, 1])
    size = left.segmented_control(t("train.size"), sizes, key=K_SIZE, required=True,
                                  format_func=lambda n: f"{n:,}" if n else t("train.size_all"),
                                  help=t("train.size_help"), **common)
    chosen_precision = right.selectbox(t("train.precision"), PRECISIONS, key=K_PRECISION,
                                       help=t("train.precision_help"), **common)
    if "fashion-mnist" not in datasets and not os.environ.get("CNN_EXPLORER_DATASETS"):
        st.caption(t("train.no_fashion"))  # the book's dataset is one Debian package away
    return dict(model=model, changes=changes, dataset=dataset, epochs=int(epochs), batch=int(batch),
                optimizer=optimizer, train_size=size or None, precision=chosen_precision)


def _settings(inputs: dict) -> dict:
    return dict(dataset=inputs["dataset"], epochs=inputs["epochs"], batch_size=inputs["batch"],
                optimizer=inputs["optimizer"], train_size=inputs["train_size"],
                precision=inputs["precision"])


def default_inputs() -> dict:
    """The run a first visit shows (settings_form's inputs before anything is changed)."""
    dataset = next(iter(services.allowed_datasets()))
    sizes = TRAIN_SIZES.get(dataset, (0,))
    size = _DEFAULTS[K_SIZE] if _DEFAULTS[K_SIZE] in sizes else sizes[0]
    return dict(model=DEFAULT_MODEL, changes=DEFAULT_CHANGES, dataset=dataset, epochs=_DEFAULTS[K_EPOCHS],
                batch=_DEFAULTS[K_BATCH], optimizer=_DEFAULTS[K_OPTIMIZER], train_size=size or None,
                precision=_DEFAULTS[K_PRECISION])


def estimate_args(inputs: dict) -> tuple[str, str, str] | None:
    """services.epoch_estimate's arguments for these inputs; None when the changes do not parse."""
    try:
        changes = parse_changes(inputs["changes"])
    except ValueError:
        return None
    settings = {**_settings(inputs), "dataset": services.dataset_spec(inputs["dataset"])}
    return inputs["model"], json.dumps(changes, sort_keys=True), json.dumps(settings, sort_keys=True)


def estimate(inputs: dict) -> None:
    """The time an epoch of this run takes here, measured on a worker before Start (a few real steps),
    so a teacher knows whether it fits the lesson."""
    args = estimate_args(inputs)
    if args is None:
        return  # said by Start, where the changes are used
    with st.spinner(t("train.measuring")):
        measured = services.epoch_estimate(*args)
    if "error" in measured:
        return  # a run core refuses: Start says why, where it matters
    seconds = measured["epoch_seconds"]
    shown = f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"  # digits: well under a second
    duration = (t("train.duration_s", seconds=shown) if seconds < 90 else
                t("train.duration_min", minutes=seconds / 60))
    st.info(t("train.estimate", duration=duration,
              images=measured["train_images"], speed=measured["examples_per_second"],
              tests=measured["test_images"], reason=measured["reason"]))


def start(inputs: dict) -> None:
    try:
        changes = parse_changes(inputs["changes"])
    except ValueError as exc:
        st.session_state["train.error"] = t("compare.bad_changes", part=str(exc))
        return
    settings = _settings(inputs)
    try:
        st.session_state[RUN] = services.start_training(inputs["model"], changes, settings,
                                                         services.user_id())
    except services.TrainingRefused as refused:
        st.session_state["train.error"] = t(f"train.refused_{refused.reason}", limit=refused.limit)
        return
    st.session_state[LIVE] = True


def go_on(run: services.TrainingRun) -> None:
    """`run` continues for the chosen number of epochs from its last completed one."""
    try:
        st.session_state[RUN] = services.continue_training(run, int(st.session_state[K_MORE]),
                                                            services.user_id())
    except services.TrainingRefused as refused:
        st.session_state["train.error"] = t(f"train.refused_{refused.reason}", limit=refused.limit)
        return
    st.session_state[LIVE] = True


def progress(run: services.TrainingRun) -> None:
    """Status, progress bar, curves and memory; reruns every second while the run is live."""
    if run.error:
        error_text.show(st, run.error)
    elif run.batches and not run.done:
        last = run.batches[-1]
        done = (last["epoch"] - 1 + last["step"] / last["steps"]) / run.settings["epochs"]
        text = t("train.running", epoch=last["epoch"], epochs=run.settings["epochs"], step=last["step"],
                 steps=last["steps"], speed=last["examples_per_second"])
        st.progress(min(done, 1.0), text=text)
    elif not run.done:
        st.progress(0.0, text=t("train.waiting" if run.waiting else "train.starting"))
    caption = slide_caption(run)
    if run.batches:
        left, right = st.columns(2)
        left.plotly_chart(training_charts.loss_figure(run.batches, run.epochs), key="train.loss_chart")
        slides.chart_downloads("train.loss_chart", caption, f"{run.model}-training-loss", left)
        right.plotly_chart(training_charts.accuracy_figure(run.epochs), key="train.acc_chart")
        slides.chart_downloads("train.acc_chart", caption, f"{run.model}-training-accuracy", right)
    if run.epochs:
        last = run.epochs[-1]
        device = services.device_info().get("name", "CPU")
        st.caption(t("train.speed", speed=last["examples_per_second"], device=device))
    if run.precision:
        st.caption(t("train.precision_used", reason=run.precision))
    live_memory.render(run.memory.samples, run.memory.cuda, key="train.memory_chart",
                       slide=(caption, f"{run.model}-training-memory"))
    if run.done and st.session_state.get(LIVE):
        st.session_state[LIVE] = False
        st.rerun()  # the whole page: enable the form, show the results


def slide_caption(run: services.TrainingRun) -> str:
    """The run's model and changes; once an epoch has ended, its input and its checkpoint's dataset and
    test accuracy (slides.caption), before that its dataset."""
    info = services.checkpoint_info(run.checkpoint, services.stamp(run.checkpoint)) if run.checkpoint else {}
    if "input_shape" not in info:
        named = slides.caption({"name": run.model}, run.changes)
        return " · ".join((named, t("slides.training_on", dataset=run.settings["dataset"])))
    return slides.caption({"name": run.model, "input_shape": info["input_shape"]}, run.changes, info)


def results(run: services.TrainingRun) -> None:
    if run.error:
        if run.checkpoint:  # its worker, or the engine, ended under it: its last completed epoch is kept
            checkpoint_actions(run)
        return
    if run.ended_by == "time":
        st.info(t("train.time_budget", minutes=run.seconds / 60))
    if run.epochs:
        seconds = sum(e["seconds"] for e in run.epochs)
        accuracy = f"{run.epochs[-1]['test_accuracy']:.1%}"
        message = (t("train.stopped", epochs=len(run.epochs)) if run.stopped else
                   t("train.finished", accuracy=accuracy, epochs=len(run.epochs), seconds=seconds))
        st.success(message)
    elif run.stopped:
        st.warning(t("train.stopped_early"))
    if run.checkpoint:
        checkpoint_actions(run)


def checkpoint_actions(run: services.TrainingRun) -> None:
    """Download the run's last checkpoint, open it on Connections, or train it on."""
    path = run.checkpoint
    left, right = st.columns(2)
    left.download_button(t("train.download"), Path(path).read_bytes(), key="train.download",
                         file_name=f"{run.model}.safetensors", mime="application/octet-stream",
                         on_click="ignore")
    if right.button(t("train.open"), key="train.open", type="primary"):
        checkpoint_picker.open_trained(path)
        st.switch_page("views/connections.py")
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    left.number_input(t("train.more_epochs"), 1, 1000, value=1, key=K_MORE)
    right.button(t("train.continue", done=len(run.epochs)), key="train.continue", on_click=go_on,
                 args=(run,), icon=":material/resume:")


def render() -> None:
    presets = services.catalog()["presets"]
    params, from_url = url_state.incoming()
    load_state(params, from_url, presets)
    st.title(t("train.title"))
    st.caption(t("train.cpu_note"))
    run = st.session_state.get(RUN)
    running = bool(run and not run.done)
    inputs = settings_form(presets, running)
    if running:
        st.button(t("train.stop"), key="train.stop", on_click=run.stop, icon=":material/stop:")
    else:
        estimate(inputs)
        if st.button(t("train.start"), key="train.start", type="primary", icon=":material/play_arrow:"):
            start(inputs)
            if st.session_state.get(LIVE):
                st.rerun()  # draw the page as running: form disabled, Stop button shown
    if st.session_state.get("train.error"):
        error_text.show_text(st, st.session_state.pop("train.error"))
    if run:
        st.fragment(progress, run_every=1.0 if running else None)(run)
        if run.done:
            results(run)
    url_state.publish({"lang": language(), **url_state.from_session(_URL)})


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
