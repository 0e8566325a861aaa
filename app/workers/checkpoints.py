"""Queries on a checkpoint: what it is, its connection-strength heatmaps, the test images it is shown
with, its attributions. A checkpoint is named by its path plus a stamp (size, mtime) that the caller
takes: the caches' keys change when the file does (the Train page rewrites its checkpoint every epoch).
Every model is built per call, so no hooked or trained module is ever shared."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

import core
from core import budget as core_budget
from core.attribution import attribute, attribution_strength, predict
from core.attribution import check_budget as check_attribution_budget
from core.checkpoints import Checkpoint, load_checkpoint
from core.connectivity import STRONG, connection_strength
from core.connectivity import paper_observations as _paper_observations
from core.data import (
    CIFAR_CLASSES,
    FASHION_CLASSES,
    PACKAGED_FASHION_MNIST,
    fashion_mnist_test,
    fit_images,
    images_from_pixels,
    load_digits,
)
from core.feature_maps import field_of, inside

from . import error

ASSETS = Path(__file__).resolve().parents[2] / "assets"
CLASS_NAMES = {"fashion-mnist": list(FASHION_CLASSES), "cifar10": list(CIFAR_CLASSES)}


@functools.lru_cache(maxsize=4)
def _shipped_checkpoint(path: str, file_stamp: str) -> Checkpoint:
    """Shipped checkpoints are immutable: their weights are read once per worker, read-only."""
    return load_checkpoint(path)


def _checkpoint(path: str, file_stamp: str) -> Checkpoint:
    if Path(path).parent == ASSETS:
        return _shipped_checkpoint(path, file_stamp)
    return load_checkpoint(path)


def info(path: str, file_stamp: str) -> dict:
    """What the pages show about a checkpoint: its metadata, family and input shape, or an error."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
    except core.ConfigError as exc:
        return error(exc)
    meta = checkpoint.metadata
    dataset = meta.get("dataset", "?").partition(":")[0]  # older files named a folder: never shown
    classes = CLASS_NAMES.get(dataset, [str(i) for i in range(checkpoint.config.num_classes)])
    return {"name": Path(path).name, "arch": meta.get("arch") or checkpoint.family,
            "family": checkpoint.family, "dataset": dataset,
            "epochs": meta.get("epochs", "?"),
            "test_accuracy": float(meta["test_accuracy"]) if "test_accuracy" in meta else None,
            "input_shape": checkpoint.input_shape, "classes": classes,
            "config": checkpoint.config.to_dict(), "config_json": checkpoint.config.to_json()}


def heatmap(path: str, file_stamp: str, normalize: str) -> dict:
    """Weight-based connection strength (paper Fig. 5), or an error (e.g. not a DenseNet)."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        return connection_strength(checkpoint.state_dict, normalize, checkpoint.metadata)
    except core.ConfigError as exc:
        return error(exc)


def paper_observations(path: str, file_stamp: str) -> dict:
    """Which of the paper's four §5 observations hold for this checkpoint's weights."""
    result = heatmap(path, file_stamp, "target")
    if "error" in result:
        return result
    return {"observations": _paper_observations(result), "strong": STRONG}


def fashion_mnist_installed() -> bool:
    """Whether this worker has the book's Fashion-MNIST (Debian's dataset-fashion-mnist)."""
    return PACKAGED_FASHION_MNIST.is_dir()


@functools.cache
def _test_set(source: str) -> tuple:
    """A test set's images and labels, read once per worker (Fashion-MNIST's 10,000, or digits')."""
    if source == "fashion-mnist":
        images, labels = fashion_mnist_test(PACKAGED_FASHION_MNIST)
    else:
        digits = load_digits()
        images, labels = digits.test_x, digits.test_y
    return images, labels.tolist()


def gallery_source(dataset: str) -> str:
    """The test set a gallery for a checkpoint trained on `dataset` shows: its own where the worker
    has it (Fashion-MNIST from the Debian package), else the embedded digits."""
    return "fashion-mnist" if dataset == "fashion-mnist" and fashion_mnist_installed() else "digits"


def gallery(dataset: str, side: int, channels: int, per_class: int = 1, width: int | None = None) -> dict:
    """The first `per_class` test images of each class of gallery_source(dataset), at a model's input
    size (side × side, or side × width) (numpy): only the images shown are resized, after their bytes
    are checked against the job budget."""
    source = gallery_source(dataset)
    test_x, labels = _test_set(source)
    picks = [i for c in range(max(labels) + 1)
             for i in [j for j, y in enumerate(labels) if y == c][:per_class]]
    width = width or side
    try:
        core_budget.check(f"{len(picks)} test images at {channels}×{side}×{width}",
                          len(picks) * channels * side * width * 4, "use a checkpoint trained at a smaller "
                                                                    "input size")
    except core.ConfigError as exc:
        return error(exc)
    return {"images": fit_images(test_x[picks], (side, width), channels).numpy(),
            "labels": [labels[i] for i in picks], "dataset": source,
            "classes": CLASS_NAMES.get(source, [str(i) for i in range(max(labels) + 1)])}


def attribution_heatmap(path: str, file_stamp: str, images: np.ndarray) -> dict:
    """Attribution-based connection strength over these images (columns are shares summing to 1)."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        check_attribution_budget(checkpoint.config, len(images), images.shape[1:], None)
        model = checkpoint.model()  # a fresh model: captum hooks it
        return attribution_strength(model, images_from_pixels(images))
    except core.ConfigError as exc:
        return error(exc)


def feature_maps(path: str, file_stamp: str, image: np.ndarray, layer: str | None = None) -> dict:
    """One image (C, H, W) through the checkpoint's network: per stage (or only at `layer`, any of its
    layers) its output shape, value range and top channels' maps; the predicted class and its
    probability; and the layers one may ask for (core/feature_maps.py)."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        check_attribution_budget(checkpoint.config, 1, image.shape, None)
        return inside(checkpoint.model(), checkpoint.config, images_from_pixels(image[None]), layer)
    except core.ConfigError as exc:
        return error(exc)


def effective_field(path: str, file_stamp: str, image: np.ndarray, point: str) -> dict:
    """How far one output of `point` (at its centre) really sees in this image, beside its theoretical
    field (core/feature_maps.py)."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        check_attribution_budget(checkpoint.config, 1, image.shape, "saliency")
        return field_of(checkpoint.model(), checkpoint.config, images_from_pixels(image[None]), point)
    except core.ConfigError as exc:
        return error(exc)


def attributions(path: str, file_stamp: str, method: str, images: np.ndarray) -> dict:
    """Per image: an (H, W) attribution map for the predicted class, the class and its probability."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        check_attribution_budget(checkpoint.config, len(images), images.shape[1:], method)
        model = checkpoint.model()
        x = images_from_pixels(images)
        labels, confidences = predict(model, x)
        maps = attribute(model, x, method)
    except core.ConfigError as exc:
        return error(exc)
    return {"maps": maps.numpy(), "labels": labels.tolist(), "confidences": confidences.tolist()}
