"""What the job engine's worker processes run (app/engine.py names these functions as
"module.function"): core's results as plain data (dicts, lists, numpy arrays). Only worker processes
import this package: it imports torch. Bad input never raises out of here; it comes back as
``{"error": {"field": ..., "message": ...}}`` for the page to place."""
from __future__ import annotations

import core  # noqa: F401  (torch and every family, once per worker)
from app.engine import tune_collector

tune_collector()  # an analysis builds and traces a model: tens of thousands of objects


def error(exc: core.ConfigError) -> dict:
    return {"error": exc.to_dict()}
