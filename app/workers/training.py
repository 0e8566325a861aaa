"""A training run as a job (app.engine.Job): core's trainer, its progress reported batch by batch and
epoch by epoch, its memory sampled live, stopped early when the job is told to."""
from __future__ import annotations

import logging
import os

import core
from core import memory, train_speed
from core.train import TrainSettings, train

TRAINING_NICENESS = 10
logger = logging.getLogger(__name__)


def _error(exc: core.ConfigError) -> dict:
    """core's refusal for the page, except a dataset's: that names the deployer's folders and files,
    which students must not see (docs/deploy.md); the worker's log keeps it for the operator."""
    if exc.field != "dataset":
        return {"error": exc.to_dict()}
    logger.warning("a dataset could not be read: %s", exc.message)
    return {"error": {"field": "dataset", "code": "dataset.unreadable", "args": {},
                      "message": "this server could not read the dataset for this run; tell the "
                                 "server's operator, who finds why in its log, or choose another "
                                 "dataset"}}


def run(progress, model: str, changes: dict, settings: dict, out: str,
        resume_from: str | None = None) -> dict:
    """Train `model` with `changes` under `settings`, writing the checkpoint to `out` after every
    epoch (going on from `resume_from`'s last epoch when given). {"stopped": bool}, or {"error": ...}
    for settings core refuses."""
    # A run is batch work in its own process: it gives way to the visitors' pages and queries and
    # still has every idle cycle (30 sessions, three training: click p95 4.3 -> 1.6 s with this and
    # the Layers table's fix, docs/benchmarks.md).
    os.nice(TRAINING_NICENESS)
    progress.live = memory.MemorySampler()
    try:
        with progress.live:
            result = train(model, TrainSettings(**settings), out=out, on_progress=progress.report,
                           should_stop=progress.should_stop, resume_from=resume_from, **changes)
    except core.ConfigError as exc:
        return _error(exc)
    return {"stopped": result.stopped}


def measure(model: str, changes: dict, settings: dict) -> dict:
    """An epoch's time for this run on this worker, from a few real steps (core.train_speed)."""
    try:
        return train_speed.measure(model, TrainSettings(**settings), **changes)
    except core.ConfigError as exc:
        return _error(exc)
