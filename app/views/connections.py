"""Connections: the connection-strength heatmaps of a trained DenseNet (Huang et al. 2017, Fig. 5),
weight-based beside attribution-based, one row per dense block."""
from __future__ import annotations

import streamlit as st

from app import services
from app.components import checkpoint_picker, heatmaps, url_state
from app.components.i18n import chosen_id, language, localize_choice, t

K_NORMALIZE = "conn.normalize"
NORMALIZE_LABELS = {"none": "conn.norm.none", "target": "conn.norm.target", "global": "conn.norm.global"}
IMAGES_PER_CLASS = 1  # attribution over one test image per class: a few seconds on a CPU


def normalization(params: dict, from_url: bool) -> str:
    if from_url and params.get("norm") in NORMALIZE_LABELS:
        st.session_state[K_NORMALIZE] = t(NORMALIZE_LABELS[params["norm"]])
    labels = localize_choice(K_NORMALIZE, NORMALIZE_LABELS, "none")
    st.segmented_control(t("conn.normalize"), labels, key=K_NORMALIZE, required=True,
                         on_change=url_state.acted)
    return chosen_id(st.session_state[K_NORMALIZE], NORMALIZE_LABELS)


def attribution_map(checkpoint: dict) -> dict:
    """The attribution-based heatmap over the gallery images, at the checkpoint's input size."""
    channels, side, _ = checkpoint["info"]["input_shape"]
    images = services.gallery(side, channels, IMAGES_PER_CLASS)["images"]
    result = services.attribution_heatmap(checkpoint["path"], checkpoint["stamp"], images)
    return {**result, "count": len(images)}


def blocks(weights: dict, attribution: dict, normalize: str) -> None:
    """Per dense block: weight-based (left) and attribution-based (right) heatmaps."""
    weight_kind = t("conn.weights")
    attribution_kind = t("conn.attribution", n=attribution["count"])
    for i, block in enumerate(weights["blocks"]):
        st.caption(t("conn.block_caption", k0=block["k0"], k=block["growth_rate"],
                     layers=len(block["sources"]) - 1))
        left, right = st.columns(2)
        left.plotly_chart(heatmaps.block_figure(block, weight_kind, t(f"conn.colorbar.{normalize}")),
                          key=f"conn.weights{i}", config=heatmaps.PLOTLY_CONFIG)
        if "error" in attribution:
            right.error(attribution["error"]["message"], icon="⚠️")
        else:
            right.plotly_chart(heatmaps.block_figure(attribution["blocks"][i], attribution_kind,
                                                     t("conn.colorbar.share")),
                               key=f"conn.attribution{i}", config=heatmaps.PLOTLY_CONFIG)


def render() -> None:
    params, from_url = url_state.incoming()
    st.title(t("conn.title"))
    checkpoint = checkpoint_picker.choose(params, from_url)
    info = checkpoint["info"]
    normalize = None
    if "error" in info:
        st.error(info["error"]["message"], icon="⚠️")
    else:
        st.caption(checkpoint_picker.describe(checkpoint))
        weights = services.heatmap(checkpoint["path"], checkpoint["stamp"], "none")
        if "error" in weights:
            st.error(weights["error"]["message"], icon="⚠️")
        else:
            st.markdown(t("conn.intro"))
            normalize = normalization(params, from_url)
            weights = services.heatmap(checkpoint["path"], checkpoint["stamp"], normalize)
            with st.spinner():
                attribution = attribution_map(checkpoint)
            left, right = st.columns(2)
            left.info(t("conn.explain_weights"))
            right.info(t("conn.explain_attribution"))
            blocks(weights, attribution, normalize)
            shown = {"weights": weights, **({"attribution": attribution} if "blocks" in attribution else {})}
            st.download_button(t("conn.download_csv"), heatmaps.to_csv(shown), key="conn.download_csv",
                               file_name=f"{info['name'].rsplit('.', 1)[0]}-connections.csv", mime="text/csv")
            st.caption(t("conn.png_note"))
    url_state.publish({"lang": language(), "ckpt": checkpoint["id"], "norm": normalize})


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
