"""Python's garbage collector tuned for the app's long-lived processes (the web process and the job
engine's workers): one module both import, so neither imports the other for it."""
from __future__ import annotations

import gc


def tune_collector() -> None:
    """Garbage collection for a process that imported its libraries once and then allocates many
    objects per request (a worker's analysis, the web process's page of protobufs and figures).
    Everything imported so far (torch and core in a worker: ~300k objects) lives as long as the process:
    frozen, it is out of every later collection's way (~40 ms of a densenet121 analysis was collector
    time). At Python's default threshold (a young collection every 700 allocations) an analysis made 24
    young collections and every fifth a full one (~20 ms on average); every 10,000: ~5 ms, full
    collections rare (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
