"""What the job engine's worker processes run (app/engine.py names these functions as
"module.function"): core's results as plain data (dicts, lists, numpy arrays). Only worker processes
import this package: it imports torch. Bad input never raises out of here; it comes back as
``{"error": {"field": ..., "message": ...}}`` for the page to place."""
from __future__ import annotations

import gc

import core  # noqa: F401  (torch and every family, once per worker)

# Everything imported so far (torch, core: ~300k objects) lives as long as the worker. Moving it out of
# the garbage collector's reach makes every later collection cheaper: ~40 ms of a densenet121 analysis
# was collector time.
gc.collect()
gc.freeze()
# An analysis builds and traces a model: tens of thousands of objects, most alive until it ends. At
# Python's default threshold (a young collection every 700 allocations) a densenet121 analysis made 24
# young collections, and every fifth analysis a full one: ~20 ms of collector time per analysis on
# average. Every 10,000 allocations: ~5 ms, and full collections rare (docs/benchmarks.md).
gc.set_threshold(10_000, 10, 10)


def error(exc: core.ConfigError) -> dict:
    return {"error": exc.to_dict()}
