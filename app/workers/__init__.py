"""What the job engine's worker processes run (app/engine/ names these functions as
"module.function"): core's results as plain data (dicts, lists, numpy arrays). Only worker processes
import this package: it imports torch. Bad input never raises out of here; it comes back as
``{"error": {"field": ..., "message": ...}}`` for the page to place."""
from __future__ import annotations

import core  # noqa: F401  (torch and every family, once per worker)
from app.collector import tune_collector
from core import budget

tune_collector()  # an analysis builds and traces a model: tens of thousands of objects


def job_budget(mib: int):
    """core's budget for one job's estimates: the web server's setting, sent with the job."""
    return budget.limit(mib)


def error(exc: core.ConfigError) -> dict:
    return {"error": exc.to_dict()}
