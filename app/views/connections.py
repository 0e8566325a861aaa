"""Connections: the connection-strength heatmaps of a trained DenseNet (Huang et al. 2017, Fig. 5),
weight-based beside attribution-based, one row per dense block."""
from __future__ import annotations

import streamlit as st

from app import services
from app.components import checkpoint_picker, error_text, heatmaps, slides, url_state
from app.components.i18n import chosen_id, language, localize_choice, t

K_NORMALIZE = "conn.normalize"
K_FROM_DATA = "conn.from_data_min"
K_BESIDE = "conn.beside"
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
    gallery = services.gallery(checkpoint["info"]["dataset"], side, channels, IMAGES_PER_CLASS)
    if "error" in gallery:
        return {**gallery, "count": 0}
    images = gallery["images"]
    result = services.attribution_heatmap(checkpoint["path"], checkpoint["stamp"], images)
    return {**result, "count": len(images)}


def scale_from_zero(params: dict, from_url: bool) -> bool:
    """Colour scales start at 0 unless the user asks for the data's own minimum (`zmin=data`)."""
    if from_url:
        st.session_state[K_FROM_DATA] = params.get("zmin") == "data"
    st.toggle(t("conn.from_data_min"), key=K_FROM_DATA, help=t("conn.from_data_min_help"),
              on_change=url_state.acted)
    return not st.session_state[K_FROM_DATA]


def beside(checkpoint: dict, normalize: str, from_zero: bool, params: dict,
           from_url: bool) -> str | None:
    """The weight heatmaps of the chosen checkpoint next to another shipped one, block by block, on one
    colour range (the Fig. 5 network beside its one-shot twin shows what OSA removes)."""
    others = [stem for stem in services.shipped_checkpoints() if stem != checkpoint["id"]]
    wanted = services.shipped_network(params.get("beside") or "")
    if from_url and wanted in others:
        st.session_state[K_BESIDE] = wanted
    if st.session_state.get(K_BESIDE) not in [None, *others]:
        st.session_state[K_BESIDE] = None
    st.subheader(t("conn.beside_title"))
    other = st.selectbox(t("conn.beside"), [None, *others], key=K_BESIDE, on_change=url_state.acted,
                         format_func=lambda stem: t(f"ckpt.{stem}") if stem else t("conn.beside_none"))
    if other is None:
        return None
    path = services.shipped_checkpoints()[other]
    pair = [services.heatmap(checkpoint["path"], checkpoint["stamp"], normalize),
            services.heatmap(path, services.stamp(path), normalize)]
    if "error" in pair[1]:
        error_text.show(st, pair[1]["error"])
        return other
    zrange = heatmaps.color_range(pair[0]["blocks"] + pair[1]["blocks"], from_zero)
    names = (checkpoint["id"], other)  # file stems: short enough for a half-width title
    other_info = services.checkpoint_info(path, services.stamp(path))
    captions = [slides.checkpoint_caption(info) for info in (checkpoint["info"], other_info)]
    for i, blocks in enumerate(zip(pair[0]["blocks"], pair[1]["blocks"])):
        for j, (column, block) in enumerate(zip(st.columns(2), blocks, strict=True)):
            figure = heatmaps.block_figure(block, names[j], t(f"conn.colorbar.{normalize}"), zrange)
            column.plotly_chart(figure, key=f"conn.beside{i}.{j}", config=heatmaps.PLOTLY_CONFIG)
            slides.chart_downloads(f"conn.beside{i}.{j}", captions[j], f"{names[j]}-block{i + 1}-beside",
                                   column)
    return other


def observations(checkpoint: dict) -> None:
    """The paper's four observations (§5), each said to hold or not for this checkpoint's weights."""
    found = services.paper_observations(checkpoint["path"], checkpoint["stamp"])
    if "error" in found:
        return
    lines = [t("conn.obs.intro", name=checkpoint["info"]["name"], strong=found["strong"])]
    for item in found["observations"]:
        verdict = t({True: "conn.obs.holds", False: "conn.obs.fails", None: "conn.obs.na"}[item["holds"]])
        figure = "" if item["value"] is None else t(f"conn.obs.{item['id']}.figure", value=item["value"])
        claim = t(f"conn.obs.{item['id']}")
        lines.append(f"1. {claim} — **{verdict}**{figure}")
    st.markdown("\n".join(lines))


def blocks(checkpoint: dict, weights: dict, attribution: dict, normalize: str, from_zero: bool) -> None:
    """Per dense block: weight-based (left) and attribution-based (right) heatmaps, each kind on one
    colour range for all its blocks, each with its slide files."""
    caption = slides.checkpoint_caption(checkpoint["info"])
    weight_kind = t("conn.weights")
    attribution_kind = t("conn.attribution", n=attribution["count"])
    weight_range = heatmaps.color_range(weights["blocks"], from_zero)
    if "blocks" in attribution:
        attribution_range = heatmaps.color_range(attribution["blocks"], from_zero)
    for i, block in enumerate(weights["blocks"]):
        caption = t("conn.block_caption", k0=block["k0"], k=block["growth_rate"],
                    layers=len(block["sources"]) - 1)
        st.caption(f"{caption} · {t('chan.one_shot')}" if block["one_shot"] else caption)
        left, right = st.columns(2)
        left.plotly_chart(heatmaps.block_figure(block, weight_kind, t(f"conn.colorbar.{normalize}"),
                                                weight_range),
                          key=f"conn.weights{i}", config=heatmaps.PLOTLY_CONFIG)
        slides.chart_downloads(f"conn.weights{i}", caption, f"{checkpoint['id']}-block{i + 1}-weights", left)
        if "error" in attribution:
            error_text.show(right, attribution["error"])
        else:
            right.plotly_chart(heatmaps.block_figure(attribution["blocks"][i], attribution_kind,
                                                     t("conn.colorbar.share"), attribution_range),
                               key=f"conn.attribution{i}", config=heatmaps.PLOTLY_CONFIG)
            slides.chart_downloads(f"conn.attribution{i}", caption,
                                   f"{checkpoint['id']}-block{i + 1}-attribution", right)


def render() -> None:
    params, from_url = url_state.incoming()
    st.title(t("conn.title"))
    checkpoint = checkpoint_picker.choose(params, from_url)
    info = checkpoint["info"]
    normalize = other = None
    if "error" in info:
        error_text.show(st, info["error"])
    else:
        st.caption(checkpoint_picker.describe(checkpoint))
        weights = services.heatmap(checkpoint["path"], checkpoint["stamp"], "none")
        if "error" in weights:
            error_text.show(st, weights["error"])
        else:
            st.markdown(t("conn.intro"))
            normalize = normalization(params, from_url)
            from_zero = scale_from_zero(params, from_url)
            weights = services.heatmap(checkpoint["path"], checkpoint["stamp"], normalize)
            with st.spinner():
                attribution = attribution_map(checkpoint)
            left, right = st.columns(2)
            left.info(t("conn.explain_weights"))
            right.info(t("conn.explain_attribution"))
            blocks(checkpoint, weights, attribution, normalize, from_zero)
            observations(checkpoint)
            other = beside(checkpoint, normalize, from_zero, params, from_url)
            shown = {"weights": weights, **({"attribution": attribution} if "blocks" in attribution else {})}
            st.download_button(t("conn.download_csv"), heatmaps.to_csv(shown), key="conn.download_csv",
                               file_name=f"{info['name'].rsplit('.', 1)[0]}-connections.csv", mime="text/csv",
                               on_click="ignore")
            st.caption(t("conn.png_note"))
    url_state.publish({"lang": language(), "ckpt": checkpoint["id"], "norm": normalize, "beside": other,
                       "zmin": None if st.session_state.get(K_FROM_DATA) is not True else "data"})


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
