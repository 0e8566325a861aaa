"""The sidebar checkpoint choice shared by Connections and Attributions: a shipped checkpoint, one
uploaded in this session, or the one the Train page wrote. The choice carries over between pages.

Shipped checkpoints go into the link by network (`ckpt=densenet_fig5`: its Fashion-MNIST file where
that dataset is installed, else its digits file; services.shipped_checkpoints); an upload or a
training run lives in this session's folder only, so its link says `ckpt=uploaded` / `ckpt=trained`
and another session falls back to the default with a note.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import services

from . import error_text, uploads
from .i18n import STRINGS, t
from .numbers import shape

K_CHOICE, K_UPLOAD = "ckpt.choice", "ckpt.upload"  # the uploader's key is uploads.key(K_UPLOAD)
TRAINING_RUN = "train.run"  # the session's training run (the Train page keeps it under this key)
UPLOADED, TRAINED = "uploaded", "trained"  # ids beside the shipped stems
REFUSED = "ckpt.refused"  # why the last upload was not kept, shown once
GONE = "ckpt.gone"  # the session's files were removed while no browser showed it, said once
SESSION_PATHS = {UPLOADED: "ckpt.uploaded_path", TRAINED: "ckpt.trained_path"}
DEFAULT = "densenet_fig5"


def open_trained(path: str) -> None:
    """Make a checkpoint written by the Train page the current choice (called from Train)."""
    st.session_state[SESSION_PATHS[TRAINED]] = path
    st.session_state[K_CHOICE] = TRAINED


def _on_upload() -> None:
    """Keep an upload that core reads as a checkpoint, in place of the session's previous one; a
    refused one is removed at once (its space is the class's) and the previous choice stays."""
    upload = uploads.held(K_UPLOAD)
    if upload is None:
        return
    try:
        path = services.save_upload(upload.name, upload.getvalue(), services.user_id())
    except services.UploadRefused as refused:
        st.session_state[REFUSED] = t(f"ckpt.upload_full_{refused.scope}", used=refused.used_mib,
                                      budget=refused.budget_mib)
        return
    finally:
        uploads.let_go(K_UPLOAD, upload)  # on disk now, or refused: its bytes leave the web process
    info = services.checkpoint_info(path, services.stamp(path))
    if "error" in info:
        services.remove_upload(path)
        st.session_state[REFUSED] = info["error"]
        return
    services.remove_upload(st.session_state.get(SESSION_PATHS[UPLOADED]))
    st.session_state[SESSION_PATHS[UPLOADED]] = path
    st.session_state["ckpt.uploaded_name"] = upload.name
    st.session_state[K_CHOICE] = UPLOADED


def _paths() -> dict[str, str]:
    """{choice id: path} of everything this session may pick."""
    paths = dict(services.shipped_checkpoints())
    run = st.session_state.get(TRAINING_RUN)
    if run is not None and run.checkpoint:  # listed once its first epoch is written, on every page
        st.session_state[SESSION_PATHS[TRAINED]] = run.checkpoint
    for choice, key in SESSION_PATHS.items():
        path = st.session_state.get(key)
        if path and not Path(path).exists():  # its browser came back after the session's folder went
            del st.session_state[key]
            st.session_state[GONE] = True
        elif path:
            paths[choice] = path
    return paths


def _label(choice: str) -> str:
    if choice == UPLOADED:
        return t("ckpt.uploaded", name=st.session_state.get("ckpt.uploaded_name", ""))
    if choice == TRAINED:
        return t("ckpt.trained")
    return t(f"ckpt.{choice}") if f"ckpt.{choice}" in STRINGS else choice


def choose(params: dict, from_url: bool) -> dict:
    """Render the choice; returns {"id", "path", "stamp", "info"} (info may hold core's error)."""
    paths = _paths()
    note = None
    wanted = params.get("ckpt") if from_url else None
    wanted = wanted and services.shipped_network(wanted)
    if wanted in paths:
        st.session_state[K_CHOICE] = wanted
    elif wanted:
        note = t("ckpt.not_here", name=_label(DEFAULT))
    if st.session_state.get(K_CHOICE) not in paths:
        st.session_state[K_CHOICE] = DEFAULT if DEFAULT in paths else next(iter(paths))
    bar = st.sidebar
    # The choice outlives a visit to a page without this widget: Connections and Attributions share it.
    labels = {option: _label(option) for option in paths}  # as drawn now, for whoever formats them later
    choice = bar.selectbox(t("ckpt.choice"), list(paths), key=K_CHOICE, format_func=labels.__getitem__,
                           help=t("ckpt.choice_help"), persist_state="session")
    bar.file_uploader(t("ckpt.upload"), type=["safetensors", "pt", "pth"], key=uploads.key(K_UPLOAD),
                      on_change=_on_upload, help=t("ckpt.upload_help"))
    if st.session_state.get(REFUSED):
        refused = st.session_state.pop(REFUSED)
        (error_text.show if isinstance(refused, dict) else error_text.show_text)(st, refused)
    if st.session_state.pop(GONE, False):
        st.info(t("ckpt.gone", seconds=services.UNWATCHED_S))
    if note:
        st.info(note)
    path = paths[choice]
    stamp = services.stamp(path)
    return {"id": choice, "label": _label(choice), "path": path, "stamp": stamp,
            "info": services.checkpoint_info(path, stamp)}


def describe(checkpoint: dict) -> str:
    """One line about a loaded checkpoint: what it is, data, epochs, accuracy, input."""
    info = checkpoint["info"]
    accuracy = "?" if info["test_accuracy"] is None else f"{info['test_accuracy']:.1%}"
    name = checkpoint["label"] if checkpoint["id"] in services.shipped_checkpoints() else info["arch"]
    return t("ckpt.summary", arch=name, dataset=info["dataset"], epochs=info["epochs"],
             accuracy=accuracy, shape=shape(info["input_shape"]))
