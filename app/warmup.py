"""What the first visit to each page would otherwise compute, computed once before the server
answers its health check: the job engine and its workers (each imports torch, captum and core), the
default model's analysis, Compare's depth curves and parts, the Memory page's default estimate and CPU
pass, the shipped checkpoints' heatmaps, attributions and the first image's feature maps and effective
field, and the Train page's measured epoch time for its default run. The results land in the same
process-wide caches the pages read, under the same keys (bench/first_visit.py measures the first
visits with and without it)."""
from __future__ import annotations

import json
import logging
import os
import threading
import time

logger = logging.getLogger(__name__)


def _explore(services) -> None:
    from app.components import explore_state
    resolved = services.resolve(explore_state.DEFAULT_MODEL, "{}")
    services.summary(resolved["family"], resolved["config_json"], tuple(resolved["input_shape"]), 1)
    services.channels(resolved["family"], resolved["config_json"], tuple(resolved["input_shape"]))


def _compare(services) -> None:
    from app.components import model_changes
    from app.views import compare
    compare.depth_points()
    presets = services.catalog()["presets"]
    for name in compare.DEFAULT_MODELS[:2]:  # the page opens with two
        resolved = services.resolve(name, "{}")
        shape = model_changes.input_for(presets[name], resolved["config"])
        services.summary(resolved["family"], resolved["config_json"], shape)
        services.memory_estimate(name, "{}", compare.MEMORY_BATCH, shape, "fp32", "sgd")
        services.architecture(resolved["family"], resolved["config_json"], shape)


def _memory(services) -> None:
    from app.views import memory
    shape = tuple(services.catalog()["presets"][memory.DEFAULT_MODEL]["input_shape"])
    services.memory_estimate(memory.DEFAULT_MODEL, "{}", 64, shape, "fp32", "sgd")
    services.memory_estimate(memory.DEFAULT_MODEL, "{}", memory.CPU_BATCH, shape, "fp32", "sgd")
    for efficient in (False, True):  # the plain-against-memory-efficient chart below
        variant = json.dumps({"memory_efficient": efficient})
        services.memory_estimate(memory.DEFAULT_MODEL, variant, 64, shape, "fp32", "sgd")
    if not services.device_info()["cuda"]:
        services.memory_cpu(memory.DEFAULT_MODEL, "{}", memory.CPU_BATCH, shape, "fp32", "sgd")


def _checkpoints(services) -> None:
    from app.components import checkpoint_picker
    from app.views import connections
    path = services.shipped_checkpoints()[checkpoint_picker.DEFAULT]
    stamp = services.stamp(path)
    info = services.checkpoint_info(path, stamp)
    channels, side, _ = info["input_shape"]
    for normalize in ("none", "target"):
        services.heatmap(path, stamp, normalize)
    services.paper_observations(path, stamp)
    dataset = info["dataset"]
    images = services.gallery(dataset, side, channels, connections.IMAGES_PER_CLASS)["images"]
    services.attribution_heatmap(path, stamp, images)
    shown = services.gallery(dataset, side, channels)["images"]
    services.attributions(path, stamp, "integrated_gradients", shown)
    inside = services.feature_maps(path, stamp, shown[0])  # the page's first image, inside the network
    services.effective_field(path, stamp, shown[0], inside["points"][0]["name"])


def _train(services) -> None:
    from app.views import train
    services.epoch_estimate(*train.estimate_args(train.default_inputs()))  # a few real training steps


STEPS = {"explore": _explore, "compare": _compare, "memory": _memory, "checkpoints": _checkpoints,
         "train": _train}


def warm() -> tuple[dict[str, float], list[str]]:
    """(seconds per step, the steps that failed). A failing step is logged and skipped (the page then
    computes it itself, slowly); tests/test_warmup.py fails on any, so a renamed name is caught."""
    started = time.perf_counter()
    from app import engine, services
    engine.warm()  # every local worker imports torch, captum and core at once
    seconds = {"engine": time.perf_counter() - started}
    failed = []
    for name, step in STEPS.items():
        start = time.perf_counter()
        try:
            step(services)
        except Exception:  # a warm-up must never keep the server from starting
            logger.exception("warm-up step %s failed", name)
            failed.append(name)
        seconds[name] = time.perf_counter() - start
    logger.info("warm-up: %s", json.dumps({k: round(v, 2) for k, v in seconds.items()}))
    return seconds, failed


DONE = threading.Event()  # the warm-up has run (or was skipped)
_started = threading.Lock()


def start_in_background() -> None:
    """Warm up once per process in a thread (CNN_EXPLORER_WARMUP=0 skips it); DONE is set after."""
    if not _started.acquire(blocking=False):
        return  # already started: the server module may be loaded more than once

    def run():
        try:
            if os.environ.get("CNN_EXPLORER_WARMUP") != "0":
                warm()
        finally:
            DONE.set()
    threading.Thread(target=run, name="warm-up", daemon=True).start()
