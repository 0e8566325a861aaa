"""A training run as a job (app.engine.Job): core's trainer, its progress reported batch by batch and
epoch by epoch, its memory sampled live, stopped early when the job is told to."""
from __future__ import annotations

import os

import core
from core import memory
from core.train import TrainSettings, train

TRAINING_NICENESS = 10


def run(progress, model: str, changes: dict, settings: dict, out: str) -> dict:
    """Train `model` with `changes` under `settings`, writing the checkpoint to `out` after every
    epoch. {"stopped": bool}, or {"error": ...} for settings core refuses."""
    # A run is batch work in its own process: it gives way to the visitors' pages and queries and
    # still has every idle cycle (30 sessions, three training: click p95 4.3 -> 1.6 s with this and
    # the Layers table's fix, docs/benchmarks.md).
    os.nice(TRAINING_NICENESS)
    progress.live = memory.MemorySampler()
    try:
        with progress.live:
            result = train(model, TrainSettings(**settings), out=out, on_progress=progress.report,
                           should_stop=progress.should_stop, **changes)
    except core.ConfigError as exc:
        return {"error": exc.to_dict()}
    return {"stopped": result.stopped}
