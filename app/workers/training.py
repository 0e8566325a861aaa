"""A training run as a job (app.engine.Job): core's trainer, its progress reported batch by batch and
epoch by epoch, its memory sampled live, stopped early when the job is told to."""
from __future__ import annotations

import core
from core import memory
from core.train import TrainSettings, train


def run(progress, model: str, changes: dict, settings: dict, out: str) -> dict:
    """Train `model` with `changes` under `settings`, writing the checkpoint to `out` after every
    epoch. {"stopped": bool}, or {"error": ...} for settings core refuses."""
    progress.live = memory.MemorySampler()
    try:
        with progress.live:
            result = train(model, TrainSettings(**settings), out=out, on_progress=progress.report,
                           should_stop=progress.should_stop, **changes)
    except core.ConfigError as exc:
        return {"error": exc.to_dict()}
    return {"stopped": result.stopped}
