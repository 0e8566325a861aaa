"""Explore's Inside tab: a test image through the explored model. With a shipped checkpoint's weights
where one is exactly this model at this input; else the model as initialised, its weights random
(said so, with a button per trained network that explores it instead)."""
from __future__ import annotations

import streamlit as st

from app import services

from . import error_text, feature_maps_view, slides, url_state
from . import explore_state as state
from .i18n import class_name, t
from .numbers import shape

OPEN = "inside.open"  # (model, layer) picked in the Layers table or the graph: the tab opens at it once


def shipped_weights(model: dict) -> dict | None:
    """The shipped checkpoint of exactly this model at this input ({path, stamp, info}), if any."""
    for path in services.shipped_checkpoints().values():
        stamp = services.stamp(path)
        info = services.checkpoint_info(path, stamp)
        if "error" not in info and (info["family"], info["config_json"], info["input_shape"]) == (
                model["family"], model["config_json"], model["input_shape"]):
            return {"path": path, "stamp": stamp, "info": info}
    return None


def source(model: dict) -> tuple[dict, dict, dict | None]:
    """(weights for feature_maps_view, the gallery of test images at the model's input, the
    checkpoint's info or None for random weights)."""
    trained = shipped_weights(model)
    channels, height, width = model["input_shape"]
    gallery = services.gallery(trained["info"]["dataset"] if trained else "fashion-mnist", height,
                               channels, 1, width)
    if trained:
        return trained, gallery, trained["info"]
    return {"family": model["family"], "config_json": model["config_json"]}, gallery, None


def openable(model: dict) -> list[str]:
    """The stages and layers whose maps the tab can show (none where the model cannot run here)."""
    weights, gallery, _ = source(model)
    if "error" in gallery:
        return []
    maps = feature_maps_view.maps(weights, gallery["images"][0])
    return [] if "error" in maps else [p["name"] for p in maps["points"]] + maps["layers"]


def open_at(model: dict, layer: str) -> None:
    st.session_state[OPEN] = (model["config_json"], layer)


def on_open_trained(path: str) -> None:
    """Explore the shipped checkpoint's network, at its input, on this tab."""
    url_state.acted()
    info = services.checkpoint_info(path, services.stamp(path))
    if "error" not in info:
        state.put(state.of_config(services.catalog(), info["family"], info["config"], info["input_shape"],
                                  keep=state.current()))


def trained_offers() -> None:
    """A button per shipped network: its trained weights in place of random ones."""
    st.caption(t("inside.trained_offer"))
    columns = st.columns(3)
    for i, (network, path) in enumerate(services.shipped_checkpoints().items()):
        info = services.checkpoint_info(path, services.stamp(path))
        if "error" not in info:
            columns[i % 3].button(t("inside.open_trained", network=network, dataset=info["dataset"],
                                    accuracy=f"{info['test_accuracy']:.3f}"),
                                  key=f"inside.open.{network}", on_click=on_open_trained, args=(path,))


def render(model: dict, changes: dict) -> None:
    """`changes`: the hyperparameters changed from the preset (named in the figures' slide captions)."""
    weights, gallery, info = source(model)
    if "error" in gallery:
        error_text.show(st, gallery["error"])
        return
    if info:
        st.success(t("inside.trained", file=info["name"], dataset=info["dataset"], epochs=info["epochs"],
                     accuracy=f"{info['test_accuracy']:.3f}"), icon=":material/school:")
    st.caption(t("fmap.images_of", dataset=gallery["dataset"], shape=shape(model["input_shape"])))
    shown = [class_name(c) for c in gallery["classes"]]
    images = [(t("fmap.test_image", label=shown[label]), image)
              for label, image in zip(gallery["labels"], gallery["images"], strict=True)]
    classes = [class_name(c) for c in info["classes"]] if info else shown  # what the network predicts
    opened = st.session_state.pop(OPEN, None)
    layer = opened[1] if opened and opened[0] == model["config_json"] else None
    feature_maps_view.render(weights, images, classes, slides.caption(model, changes, info), prefix="inside",
                             layer=layer)
    if not info:  # after the random weights' maps: the same image through trained ones
        trained_offers()
