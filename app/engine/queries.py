"""Queries: an analysis, an estimate, a heatmap, attributions. Each is a call to one of this process's
warm query workers (Ray actors with torch and core imported), its result plain data; past its deadline
the worker is killed (and replaced on next use)."""
from __future__ import annotations

import contextlib
import threading
import time
import zlib

import ray
from ray.exceptions import GetTimeoutError, RayActorError

from app import fair_share, settings

from . import cluster, memory_cap
from .failures import JobFailed, failure

# A query that runs longer than this is stopped (an analysis takes well under a second, attributions
# and a CPU measurement a few seconds on two cores).
QUERY_SECONDS = settings.value("CNN_EXPLORER_QUERY_SECONDS")
# A query whose config is deeper is refused before it runs: its cost grows with the layers it traces
# (a DenseNet with six blocks of 128 layers: 7 s of a worker for its summary and memory estimate).
QUERY_DEPTH = settings.value("CNN_EXPLORER_QUERY_DEPTH")


@ray.remote(num_cpus=1, max_restarts=0)
class _QueryWorker:
    """A warm worker process (torch and core imported when it starts) that answers queries one at a
    time, in the order they come."""

    def __init__(self):
        memory_cap.worker_function("analysis.ready")()

    def call(self, name: str, args: tuple, kwargs: dict, limits: dict):
        with memory_cap.MemoryCap(**limits):
            return memory_cap.worker_function(name)(*args, **kwargs)


class QueryWorkers:
    """This process's query workers. A query goes to the worker its first two arguments pick (a
    config, a checkpoint) while that worker is free: the summary, channels and graph of one config
    then meet the analysis that worker keeps. While it is busy the query goes to the least busy
    worker instead, so that nobody waits behind another session's slow model (computing an analysis
    twice costs less than queueing behind a densenet264). Ray places the workers and queues the
    calls; a worker that ended (deadline, memory cap) is replaced on next use."""

    def __init__(self, count: int):
        self._workers: list = [None] * count
        self._busy = [0] * count  # this process's queries in flight on each worker
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def pick(self, args: tuple):
        """(slot, worker) for a query with these arguments, counted busy until the block ends."""
        preferred = zlib.crc32(repr(args[:2]).encode()) % len(self._workers)
        with self._lock:
            slot = preferred if self._busy[preferred] == 0 else min(
                range(len(self._workers)), key=lambda s: (self._busy[s], s != preferred))
            self._busy[slot] += 1
        try:
            yield slot, self._worker(slot)
        finally:
            with self._lock:
                self._busy[slot] -= 1

    def _worker(self, slot: int):
        with self._lock:
            if self._workers[slot] is None:
                self._workers[slot] = _QueryWorker.remote()
            return self._workers[slot]

    def end(self, slot: int, worker) -> None:
        """Kill `worker` (its query and its process) unless it was already replaced."""
        with self._lock:
            if self._workers[slot] is worker:
                ray.kill(worker)
                self._workers[slot] = None

    def warm(self) -> None:
        ray.get([self._worker(slot).call.remote("analysis.ready", (), {}, memory_cap.limits())
                 for slot in range(len(self._workers))])

    def forget(self) -> None:
        """Drop every worker (of an engine that died): the next use starts new ones."""
        with self._lock:
            self._workers = [None] * len(self._workers)


workers = QueryWorkers(cluster.QUERY_WORKERS)
_fair_share = fair_share.FairShare(cluster.QUERY_WORKERS)
cluster.on_lost(workers.forget)
cluster.on_restarted(workers.warm)


def query(name: str, *args, seconds: float | None = None, **kwargs):
    """The result of app.workers.`name`(*args, **kwargs), run by a query worker; JobFailed past
    `seconds` (QUERY_SECONDS), past the memory cap, or when the worker code raised. A query whose
    worker ended under it for another query's sake (its deadline, its memory) is asked once more.
    Queries wait for their turn (app/fair_share.py: users in turn, deep configs never on every worker);
    a config deeper than QUERY_DEPTH is refused at once."""
    depth = fair_share.depth(args)
    if depth > QUERY_DEPTH:
        raise JobFailed("too_deep", f"this model's lists hold {depth:,} blocks or layers; this server "
                                    f"analyses at most {QUERY_DEPTH:,} (densenet264 has 130): use fewer, "
                                    f"or run python -m core on your own machine", depth=depth,
                        limit=QUERY_DEPTH)
    cluster.connect()
    seconds = QUERY_SECONDS if seconds is None else seconds
    with _fair_share.turn(heavy=depth > fair_share.HEAVY_DEPTH), cluster.calling():
        return _ask(name, args, kwargs, seconds)


def _ask(name: str, args: tuple, kwargs: dict, seconds: float):
    generation = cluster.generation()
    for attempt in (1, 2):
        cluster.check_alive(generation)
        with workers.pick(args) as (slot, worker):
            try:
                return _result(worker.call.remote(name, args, kwargs, memory_cap.limits()), seconds,
                               generation)
            except GetTimeoutError:
                workers.end(slot, worker)
                raise JobFailed("deadline", f"the job took longer than the {seconds:g} s a job may take "
                                            f"on this server and was stopped; try a smaller model, batch "
                                            f"or input", seconds=seconds) from None
            except JobFailed:
                raise
            except Exception as exc:  # a worker's end, the code's error, or Ray going down under it
                cluster.check_alive(generation, failed=True)
                if not isinstance(exc, RayActorError):
                    raise failure(exc, memory_cap.JOB_MEMORY_MIB) from None
                workers.end(slot, worker)
                if attempt == 2:
                    raise failure(exc, memory_cap.JOB_MEMORY_MIB) from None


def _result(ref, seconds: float, generation: int):
    """ray.get(ref) within `seconds`, given up as soon as the engine it was sent to dies."""
    deadline = time.monotonic() + seconds
    while True:
        ready, _ = ray.wait([ref], timeout=max(0.0, min(cluster.SUPERVISE_S, deadline - time.monotonic())))
        if ready:
            return ray.get(ref)
        cluster.check_alive(generation)
        if time.monotonic() >= deadline:
            raise GetTimeoutError


def warm() -> None:
    """Start every query worker (each imports torch, captum and core) at once, so that no visitor's
    first query pays for the imports."""
    with cluster.calling():
        workers.warm()
