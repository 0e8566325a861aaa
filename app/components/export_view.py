"""The Code / Export tab: generated PyTorch code, config JSON and an on-demand ONNX file."""
from __future__ import annotations

import streamlit as st

from app import services

from .i18n import t


def render(model: dict) -> None:
    args = (model["family"], model["config_json"], tuple(model["input_shape"]))
    code = services.export_text(*args, "code")
    config_json = services.export_text(*args, "json")
    st.subheader(t("code.pytorch"))
    st.caption(t("code.pytorch_help"))
    st.download_button(t("code.download_py"), code, file_name=f"{model['file_stem']}.py",
                       mime="text/x-python", key="explore.download_py", on_click="ignore")
    st.code(code, language="python", height=420)
    st.subheader(t("code.json"))
    st.code(config_json, language="json")
    st.download_button(t("code.download_json"), config_json, file_name=f"{model['file_stem']}.json",
                       mime="application/json", key="explore.download_json", on_click="ignore")
    st.subheader(t("code.onnx"))
    st.caption(t("code.onnx_help"))
    # The ONNX export allocates the model, so it runs only when the button is pressed. No download here
    # reruns the page: a rerun gives this deferred file a new id and drops the old one, so a press that
    # came while a rerun was under way asked for a dropped id and got no file.
    st.download_button(t("code.onnx_download"), lambda: services.export_onnx(*args),
                       file_name=f"{model['file_stem']}.onnx", mime="application/octet-stream",
                       key="explore.download_onnx", on_click="ignore")
