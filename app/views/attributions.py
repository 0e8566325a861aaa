"""Attributions: which pixels made a checkpoint predict what it predicts (captum: Integrated
Gradients, Saliency, Grad-CAM), on test images of the digits set or an uploaded image."""
from __future__ import annotations

import streamlit as st

from app import services
from app.components import (
    checkpoint_picker,
    error_text,
    feature_maps_view,
    overlays,
    slides,
    uploads,
    url_state,
)
from app.components.i18n import chosen_id, class_name, language, localize_choice, t
from app.components.numbers import shape

K_METHOD, K_IMAGE = "attr.method", "attr.image"  # the uploader's key is uploads.key(K_IMAGE)
# An uploaded image stays in the web process while its uploader holds it: a photo or a drawing is a few
# MB, and the server-wide maxUploadSize (200 MB, sized for checkpoints) is too much for a session to keep.
IMAGE_MAX_MB = 16
IMAGE_REFUSED = "attr.image_refused"
METHOD_LABELS = {m: f"attr.{m}" for m in ("integrated_gradients", "saliency", "grad_cam")}


def method_choice(params: dict, from_url: bool) -> str:
    if from_url and params.get("method") in METHOD_LABELS:
        st.session_state[K_METHOD] = t(METHOD_LABELS[params["method"]])
    labels = localize_choice(K_METHOD, METHOD_LABELS, "integrated_gradients")
    st.segmented_control(t("attr.method"), labels, key=K_METHOD, required=True, on_change=url_state.acted)
    method = chosen_id(st.session_state[K_METHOD], METHOD_LABELS)
    st.caption(t(f"attr.method_help.{method}"))
    return method


def panels(checkpoint: dict, method: str, images, labels: list[int] | None, classes: list[str],
           columns: int = 5) -> None:
    """Predictions and attribution overlays of these images, or core's error."""
    result = services.attributions(checkpoint["path"], checkpoint["stamp"], method, images)
    if "error" in result:
        error_text.show(st, result["error"])
        return
    def named(label: int) -> str:
        return classes[label] if label < len(classes) else str(label)
    predicted = [named(p) for p in result["labels"]]
    titles = [t("attr.panel", pred=p, prob=f"{c:.1%}") for p, c in zip(predicted, result["confidences"],
                                                                    strict=True)]
    wrong = [False] * len(titles)
    if labels is not None:
        wrong = [p != label for p, label in zip(result["labels"], labels, strict=True)]
        titles = [f"{title}<br>{t('attr.panel_true', label=named(label))}"
                  for title, label in zip(titles, labels, strict=True)]
    figure = overlays.overlay_figure(images, result["maps"], titles, wrong,
                                     t("attr.figure_title", method=t(METHOD_LABELS[method])), columns)
    st.plotly_chart(figure, key=f"attr.figure{columns}")
    slides.chart_downloads(f"attr.figure{columns}", slides.checkpoint_caption(checkpoint["info"]),
                           f"{checkpoint['id']}-{method}")
    empty = sum(1 for amap in result["maps"] if not amap.max() > 0)
    if empty:  # a black panel would otherwise read as a bug, or as "every pixel equally unimportant"
        st.caption(t("attr.empty_maps", count=empty, method=t(METHOD_LABELS[method])))
    if any(wrong):
        st.caption(t("attr.wrong"))


def _on_image() -> None:
    """An image past IMAGE_MAX_MB (sent by a client that skips the browser's check) is refused and its
    bytes let go at once."""
    upload = uploads.held(K_IMAGE)
    if upload is not None and upload.size > IMAGE_MAX_MB * 2**20:
        st.session_state[IMAGE_REFUSED] = upload.size / 2**20
        uploads.let_go(K_IMAGE, upload)


def upload(checkpoint: dict, method: str, classes: list[str]):
    """The uploader, and the uploaded image's panels; returns its pixels (C, H, W), or None."""
    channels, side, _ = checkpoint["info"]["input_shape"]
    data = st.file_uploader(t("attr.upload"), type=["png", "jpg", "jpeg", "bmp", "gif", "webp"],
                            key=uploads.key(K_IMAGE), on_change=_on_image, max_upload_size=IMAGE_MAX_MB,
                            help=t("attr.upload_help", cap=IMAGE_MAX_MB))
    refused = st.session_state.pop(IMAGE_REFUSED, None)
    if refused is not None:
        error_text.show_text(st, t("attr.image_too_big", size=refused, cap=IMAGE_MAX_MB))
    if data is None:
        return None
    try:
        pixels, note = services.decode_image(data.getvalue(), channels, side)
    except services.ImageError as exc:
        error_text.show_text(st, str(exc))
        return None
    st.caption(t("attr.uploaded_note", size=note["size"], mode=note["mode"], shape=shape(pixels.shape),
                 inverted=t("attr.inverted") if note["inverted"] else ""))
    panels(checkpoint, method, pixels[None], None, classes, columns=1)
    return pixels


def render() -> None:
    params, from_url = url_state.incoming()
    st.title(t("attr.title"))
    checkpoint = checkpoint_picker.choose(params, from_url)
    info = checkpoint["info"]
    method = None
    if "error" in info:
        error_text.show(st, info["error"])
    else:
        st.caption(checkpoint_picker.describe(checkpoint))
        method = method_choice(params, from_url)
        channels, side, _ = info["input_shape"]
        gallery = services.gallery(info["dataset"], side, channels)
        classes = [class_name(c) for c in info["classes"]]
        st.subheader(t("attr.gallery", dataset=gallery.get("dataset", info["dataset"])))
        if gallery.get("dataset") not in (None, info["dataset"]):  # its own test set is not on this server
            st.info(t("attr.other_gallery", trained=info["dataset"], shown=gallery["dataset"]))
        images = []
        if "error" in gallery:
            error_text.show(st, gallery["error"])
        else:
            with st.spinner():
                panels(checkpoint, method, gallery["images"], gallery["labels"], classes)
            images = [(t("fmap.test_image", label=classes[label] if label < len(classes) else label), image)
                      for label, image in zip(gallery["labels"], gallery["images"], strict=True)]
        uploaded = upload(checkpoint, method, classes)
        if uploaded is not None:
            images.insert(0, (t("fmap.your_image"), uploaded))
        if images:
            feature_maps_view.render(checkpoint, images, classes, slides.checkpoint_caption(info))
    url_state.publish({"lang": language(), "ckpt": checkpoint["id"], "method": method})


if __name__ == "__main__":  # st.navigation runs each page file as a script
    render()
