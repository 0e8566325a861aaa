"""How long an epoch of a run will take on this machine, measured before the run starts: a few real
training steps of the run itself (same model, data, batch, precision) and a test pass over part of
the test set, scaled to the whole sets. The Train page states it before Start."""
from __future__ import annotations

import dataclasses
import time

import torch

from .data import load_dataset
from .registry import build_model, resolve
from .train import TrainSettings, evaluate, prepare, train

WARMUP_STEPS, TIMED_STEPS = 2, 3
TEST_SAMPLE = 512


def measure(name_or_config, settings: TrainSettings, **overrides) -> dict:
    """{"examples_per_second", "test_examples_per_second", "epoch_seconds", "precision", "reason",
    "train_images", "test_images"} for one epoch of this run."""
    stamps: list[float] = []

    def record(event):
        if event["kind"] == "batch":
            stamps.append(time.perf_counter())

    probe = dataclasses.replace(settings, epochs=1, progress_every=1)
    run = train(name_or_config, probe, on_progress=record,
                should_stop=lambda: len(stamps) >= WARMUP_STEPS + TIMED_STEPS, **overrides)
    data = load_dataset(settings.dataset).subset(settings.train_size, settings.seed)
    timed = stamps[WARMUP_STEPS - 1:]
    if len(timed) < 2:  # an epoch shorter than the probe: its time is the probe's
        rate = len(data.train_x) / max(stamps[-1] - stamps[0], 1e-9) if stamps else float("nan")
    else:
        rate = settings.batch_size * (len(timed) - 1) / (timed[-1] - timed[0])
    config, side, _ = prepare(resolve(name_or_config, **overrides), data, settings.input_size)
    device = torch.device("cuda" if settings.on_cuda else "cpu")
    model = build_model(config).to(device)
    sample = min(TEST_SAMPLE, len(data.test_x))
    start = time.perf_counter()
    evaluate(model, data.test_x[:sample], data.test_y[:sample], device, side=side,
             channels=config.in_channels, dtype=run.precision)
    test_rate = sample / (time.perf_counter() - start)
    return {"examples_per_second": rate, "test_examples_per_second": test_rate,
            "epoch_seconds": len(data.train_x) / rate + len(data.test_x) / test_rate,
            "precision": run.precision, "reason": run.precision_reason,
            "train_images": len(data.train_x), "test_images": len(data.test_x)}
