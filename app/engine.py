"""The job engine: every torch computation of the app runs in Ray's worker processes, never in the
web process (which imports no torch). Ray is an existing engine with an embedded default: without
CNN_EXPLORER_RAY_ADDRESS the first call starts a local Ray on this machine (`make run` needs no other
service); with it, the same calls go to that cluster (`ray start --head --resources='{"training": 2}'`,
or the KubeRay operator: docs/deploy.md).

Two kinds of work, both with a deadline and a memory cap:
- queries (`query`): an analysis, an estimate, a heatmap, attributions: a call to one of this
  process's warm query workers (Ray actors with torch and core imported), its result plain data. Past
  its deadline the worker is killed (and replaced on next use).
- jobs (`Job`): a training run or a GPU memory action, one Ray actor each that the page polls for
  progress. Training takes a unit of the cluster's `training` resource, so the runs of every replica
  together never exceed what the cluster defines; GPU work asks for `num_gpus`.

Worker code lives in app/workers/ and is named here by "module.function" (never imported by the web
process). A job that grows its worker's memory past the cap ends that worker process.

The engine is supervised: the web process outlives it. When a process of the local Ray dies (the
kernel's OOM killer, a kill -9) or a cluster's GCS stops answering, `ready()` turns false within
SUPERVISE_S (the health check answers 503), queries say the engine is restarting, and the local Ray is
started again (a cluster is joined again once it answers). Jobs of the engine that died are lost; a
training run's last completed epoch stays in its checkpoint.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib
import itertools
import logging
import os
import socket
import threading
import time
import uuid
import zlib
from pathlib import Path

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError, RayTaskError, WorkerCrashedError

from app import fair_share, settings

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger(__name__)


# A query that runs longer than this is stopped (an analysis takes well under a second, attributions
# and a CPU measurement a few seconds on two cores).
QUERY_SECONDS = settings.value("CNN_EXPLORER_QUERY_SECONDS")
# A query whose config is deeper is refused before it runs: its cost grows with the layers it traces
# (a DenseNet with six blocks of 128 layers: 7 s of a worker for its summary and memory estimate).
QUERY_DEPTH = settings.value("CNN_EXPLORER_QUERY_DEPTH")
# What one job may add to its worker's memory: above core's per-job budget (768 MiB, checked before
# anything is allocated) with room for what an estimate cannot see.
JOB_MEMORY_MIB = settings.value("CNN_EXPLORER_JOB_MEMORY_MIB")
# core's per-job budget, sent with every call: a cluster's workers follow the web server's setting.
JOB_BUDGET_MIB = settings.value("CNN_EXPLORER_JOB_BUDGET_MIB")


def _limits() -> dict:
    """What each job is given: its worker's memory cap and core's budget for its estimates."""
    return {"cap_mib": JOB_MEMORY_MIB, "budget_mib": JOB_BUDGET_MIB}

# This process's query workers (each a process with torch, one CPU of the cluster), and the local
# cluster's training runs at once (the `training` resource; a cluster's operator sets its own).
QUERY_WORKERS = settings.value("CNN_EXPLORER_WORKERS")
LOCAL_TRAINING_SLOTS = settings.value("CNN_EXPLORER_TRAINING_SLOTS")
NAMESPACE = "cnn-explorer"
DOOR_SECONDS = 30  # the first admission on a cluster starts the door's process
_MEMORY_EXIT = 75  # the exit status of a worker that went past a job's memory cap
SUPERVISE_S = 1.0  # how often the engine's processes (or a cluster's GCS) are checked
RETRY_S = 5.0  # between tries to start the engine again
_connected = threading.Lock()
_down = threading.Event()  # set from the engine's death until it can serve again
_generation = 0  # the engine's starts in this process: a job of an earlier one is lost
_death = None  # what the supervisor asks: the engine's dead parts, named (None while all live)


class JobFailed(RuntimeError):
    """The engine could not give a result: `code` is "too_deep", "deadline", "memory", "unreachable",
    "busy", "restarting", "lost" or "failed"; `to_dict()` is the app's error shape ({"field", "message",
    "code", "args"}) for error_text to show."""

    def __init__(self, code: str, message: str, **args):
        super().__init__(message)
        self.code, self.message, self.args_ = code, message, args

    def to_dict(self) -> dict:
        return {"field": "job", "message": self.message, "code": f"job.{self.code}", "args": self.args_}


class _RayCalls:
    """The threads inside a call to Ray now. A restart waits for them to leave (each gives up within
    about SUPERVISE_S once the engine is down) before it shuts Ray down: a page's thread inside a Ray
    call during ray.shutdown() ended silently, and its student's page waited forever."""

    def __init__(self):
        self._count = 0
        self._idle = threading.Condition()

    @contextlib.contextmanager
    def inside(self):
        with self._idle:
            if _down.is_set():
                raise _restarting()
            self._count += 1
        try:
            yield
        finally:
            with self._idle:
                self._count -= 1
                self._idle.notify_all()

    def drained(self, seconds: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, seconds)


_ray_calls = _RayCalls()


@contextlib.contextmanager
def _calling():
    """Connected, and counted inside Ray until the block ends; JobFailed("restarting") while down."""
    connect()
    with _ray_calls.inside():
        yield


def _restarting() -> JobFailed:
    return JobFailed("restarting", "the job engine is restarting; try again in a few seconds")


def ready() -> bool:
    """Whether a query can run now: false while the engine is down or starting again."""
    return not _down.is_set()


def connect() -> None:
    """Join the cluster CNN_EXPLORER_RAY_ADDRESS names, else start a local one (once per process),
    supervised from then on. Workers find `app` and `core` on PYTHONPATH: set here for the local one,
    by the image elsewhere."""
    if _down.is_set():
        raise _restarting()
    with _connected:
        if _down.is_set():
            raise _restarting()
        if ray.is_initialized():
            return
        # Ray's core ends a process that cannot reach its GCS for 60 s: the web process would go with
        # its engine. It waits instead; the supervisor ends that connection and makes a new one.
        os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(365 * 24 * 3600))
        address = os.environ.get("CNN_EXPLORER_RAY_ADDRESS") or None
        if address:
            try:
                _join(address)
            except Exception as exc:  # every page says so; the next request tries again
                raise JobFailed("unreachable", f"the job engine (Ray at {address}) cannot be reached "
                                               f"({type(exc).__name__}); try again later, or ask the "
                                               "server's administrator to check it",
                                address=address) from None
            threading.Thread(target=_supervise, args=(lambda: _gcs_silent(address), lambda: _join(address)),
                             name="engine-supervisor", daemon=True).start()
            return
        paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        # Ray runs workers at niceness 15 by default: a visitor's analysis then waits behind anything
        # else on the machine (a slider step took ~100 ms longer beside a browser).
        os.environ.setdefault("RAY_worker_niceness", "0")
        # Nor start idle task workers ahead (~0.3 GB each): the app's own workers are actors.
        os.environ.setdefault("RAY_enable_worker_prestart", "0")
        os.environ.setdefault("RAY_prestart_worker_first_driver", "0")
        # Ray's local processes die with the *thread* that started them (Linux's parent-death signal
        # follows the thread): a page's script thread ends after every run, so a thread that lives as
        # long as the process starts them, and starts them again when they die.
        started, failed = threading.Event(), []
        threading.Thread(target=_local_head, args=(started, failed), name="ray-head", daemon=True).start()
        started.wait()
        if failed:
            raise failed[0]


def _init(address: str | None, **local) -> None:
    ray.init(address=address, namespace=NAMESPACE, logging_level=logging.WARNING, log_to_driver=False,
             configure_logging=False, **local)


def _join(address: str) -> None:
    """Connect to the cluster at `address` (asked first: Ray's core ends the whole process when it
    cannot reach the cluster's GCS) and open its door."""
    if why := _gcs_silent(address):
        raise ConnectionError(why)
    _init(address)
    ray.get(_open_door().__ray_ready__.remote(), timeout=DOOR_SECONDS)


def _gcs_silent(address: str) -> str | None:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as exc:
        return f"its GCS at {host}:{port} does not answer ({exc})"
    return None


def _start_local() -> None:
    _init(None, num_cpus=QUERY_WORKERS, resources={"training": LOCAL_TRAINING_SLOTS},
          object_store_memory=256 * 2**20, include_dashboard=False)
    ray.get(_open_door().__ray_ready__.remote(), timeout=DOOR_SECONDS)


def _local_dead() -> str | None:
    """The local Ray's processes (GCS, raylet, monitors) that have ended, named; None while all live."""
    node = ray._private.worker._global_node  # Ray's handle on the processes this one started
    if node is None:  # shut down on purpose (at exit)
        return None
    return ", ".join(kind for kind, _ in node.dead_processes()) or None


def _local_head(started: threading.Event, failed: list) -> None:
    try:
        _start_local()
    except Exception as exc:  # connect() raises it in the caller's thread
        failed.append(exc)
        started.set()
        return
    started.set()
    _supervise(_local_dead, _start_local)  # keeps this thread, and with it Ray's local processes, alive


def _supervise(death, start) -> None:
    """Until the process exits: every SUPERVISE_S ask `death()` what died; when something did, start
    the engine again."""
    global _death
    _death = death
    exiting = threading.Event()
    # Registered after Ray's own exit handler (registered when ray is imported), so it runs first:
    # Ray's shutdown at exit is no death.
    atexit.register(exiting.set)
    while not exiting.wait(SUPERVISE_S):
        if (why := death()) and not exiting.is_set():
            _restart(why, start)


def _restart(why: str, start) -> None:
    """Down from now (queries and the health check say so), the old engine's jobs lost, until `start()`
    and warm workers serve again; tried every RETRY_S until it does."""
    global _generation, _door
    logger.error("the job engine died (%s): starting it again", why)
    _down.set()
    if not _ray_calls.drained(DOOR_SECONDS):
        logger.error("calls to the dead engine did not end in %d s", DOOR_SECONDS)
    with _connected:
        _generation += 1
        _door = None
        _query_workers.forget()
        for attempt in itertools.count(1):
            with contextlib.suppress(Exception):
                ray.shutdown()
            try:
                start()
                _query_workers.warm()
                break
            except Exception:
                logger.exception("the job engine did not start (try %d); trying again in %g s", attempt,
                                 RETRY_S)
                _query_workers.forget()
                time.sleep(RETRY_S)
    _down.clear()
    logger.warning("the job engine serves again")


def _died(generation: int, failed: bool = False) -> bool:
    """Whether the engine a call was sent to (its `generation`) has died since; after a call `failed`,
    its processes are asked at once (the supervisor may not have looked yet)."""
    if failed and _death and _death():
        _down.set()  # said at once (the health check too); the supervisor restarts it on its next look
    return _down.is_set() or generation != _generation


def _check_alive(generation: int, failed: bool = False) -> None:
    """JobFailed("restarting") when the engine a call was sent to has died since."""
    if _died(generation, failed):
        raise _restarting()


def has_gpu() -> bool:
    with _calling():
        return ray.cluster_resources().get("GPU", 0) > 0


class _MemoryCap:
    """In a worker, around one job: core's budget for its estimates set to the web server's
    (`budget_mib`), and the process ended when its resident memory grows past `cap_mib` over what it
    was when the job began (checked 20 times a second). Nothing else ends a worker with this status."""

    def __init__(self, cap_mib: int, budget_mib: int):
        self.limit = _rss() + cap_mib * 2**20
        self._done = threading.Event()
        # in the worker: app.workers imports core (the web process imports neither)
        self._budget = importlib.import_module("app.workers").job_budget(budget_mib)

    def __enter__(self):
        self._budget.__enter__()
        threading.Thread(target=self._watch, name="memory-cap", daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._budget.__exit__(*exc)

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            if _rss() > self.limit:
                logger.error("a job went past its memory cap: ending its worker")
                os._exit(_MEMORY_EXIT)


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _function(name: str):
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(f"app.workers.{module}"), function)


@ray.remote(num_cpus=1, max_restarts=0)
class _QueryWorker:
    """A warm worker process (torch and core imported when it starts) that answers queries one at a
    time, in the order they come."""

    def __init__(self):
        _function("analysis.ready")()

    def call(self, name: str, args: tuple, kwargs: dict, limits: dict):
        with _MemoryCap(**limits):
            return _function(name)(*args, **kwargs)


class _QueryWorkers:
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
        ray.get([self._worker(slot).call.remote("analysis.ready", (), {}, _limits())
                 for slot in range(len(self._workers))])

    def forget(self) -> None:
        """Drop every worker (of an engine that died): the next use starts new ones."""
        with self._lock:
            self._workers = [None] * len(self._workers)


_query_workers = _QueryWorkers(QUERY_WORKERS)
_fair_share = fair_share.FairShare(QUERY_WORKERS)


def _failure(exc: Exception, cap_mib: int) -> JobFailed:
    if isinstance(exc, (WorkerCrashedError, RayActorError)):
        return JobFailed("memory", f"the job was stopped: its worker process ended, past the "
                                   f"{cap_mib:,} MiB a job may add on this server (its model, batch "
                                   f"and data together) or killed by the system; a smaller model, "
                                   f"batch, input or training set may fit", cap_mib=cap_mib)
    cause = exc.cause if isinstance(exc, RayTaskError) else exc
    logger.error("job failed: %s", exc)
    return JobFailed("failed", f"{type(cause).__name__}: {cause}")


def query(name: str, *args, seconds: float | None = None, **kwargs):
    """The result of app.workers.`name`(*args, **kwargs), run by a query worker; JobFailed past
    `seconds` (QUERY_SECONDS), past JOB_MEMORY_MIB, or when the worker code raised. A query whose
    worker ended under it for another query's sake (its deadline, its memory) is asked once more.
    Queries wait for their turn (app/fair_share.py: users in turn, deep configs never on every worker);
    a config deeper than QUERY_DEPTH is refused at once."""
    depth = fair_share.depth(args)
    if depth > QUERY_DEPTH:
        raise JobFailed("too_deep", f"this model's lists hold {depth:,} blocks or layers; this server "
                                    f"analyses at most {QUERY_DEPTH:,} (densenet264 has 130): use fewer, "
                                    f"or run python -m core on your own machine", depth=depth,
                        limit=QUERY_DEPTH)
    connect()
    seconds = QUERY_SECONDS if seconds is None else seconds
    with _fair_share.turn(heavy=depth > fair_share.HEAVY_DEPTH), _calling():
        return _ask(name, args, kwargs, seconds)


def _ask(name: str, args: tuple, kwargs: dict, seconds: float):
    generation = _generation
    for attempt in (1, 2):
        _check_alive(generation)
        with _query_workers.pick(args) as (slot, worker):
            try:
                return _result(worker.call.remote(name, args, kwargs, _limits()), seconds, generation)
            except GetTimeoutError:
                _query_workers.end(slot, worker)
                raise JobFailed("deadline", f"the job took longer than the {seconds:g} s a job may take "
                                            f"on this server and was stopped; try a smaller model, batch "
                                            f"or input", seconds=seconds) from None
            except JobFailed:
                raise
            except Exception as exc:  # a worker's end, the code's error, or Ray going down under it
                _check_alive(generation, failed=True)
                if not isinstance(exc, RayActorError):
                    raise _failure(exc, JOB_MEMORY_MIB) from None
                _query_workers.end(slot, worker)
                if attempt == 2:
                    raise _failure(exc, JOB_MEMORY_MIB) from None


def _result(ref, seconds: float, generation: int):
    """ray.get(ref) within `seconds`, given up as soon as the engine it was sent to dies."""
    deadline = time.monotonic() + seconds
    while True:
        ready, _ = ray.wait([ref], timeout=max(0.0, min(SUPERVISE_S, deadline - time.monotonic())))
        if ready:
            return ray.get(ref)
        _check_alive(generation)
        if time.monotonic() >= deadline:
            raise GetTimeoutError


def warm() -> None:
    """Start every query worker (each imports torch, captum and core) at once, so that no visitor's
    first query pays for the imports."""
    with _calling():
        _query_workers.warm()


class _Progress:
    """What a job's worker function is given: report(event) appends progress, should_stop() says
    whether to end early (Stop, the session gone, past the job's time), `live` may hold an object
    whose `samples` and `cuda` describe memory while it runs (core.memory.MemorySampler)."""

    def __init__(self, seconds: float):
        self.events: list[dict] = []
        self.live = None
        self.ended_by: str | None = None
        self.deadline = time.monotonic() + seconds

    def report(self, event: dict) -> None:
        self.events.append(event)

    def should_stop(self) -> bool:
        if self.ended_by is None and time.monotonic() > self.deadline:
            self.ended_by = "time"
        return self.ended_by is not None


@ray.remote(num_cpus=0, max_concurrency=2, max_restarts=0)
class _JobActor:
    """One job in its own worker process: `run` works in one thread while `poll` and `stop` answer
    in the other."""

    def __init__(self, seconds: float):
        self.progress = _Progress(seconds)

    def run(self, name: str, args: tuple, kwargs: dict, limits: dict) -> dict:
        with _MemoryCap(**limits):
            try:
                result = _function(name)(self.progress, *args, **kwargs)
            except Exception as exc:  # the page says what happened; the traceback goes to the worker log
                logger.exception("job %s failed", name)
                result = {"error": {"field": "job", "message": f"{type(exc).__name__}: {exc}"}}
        return {"result": result, "ended_by": self.progress.ended_by}

    def poll(self, events_seen: int, samples_after: float) -> dict:
        live = self.progress.live
        samples = [s for s in live.samples if s["t"] > samples_after] if live else []
        return {"events": self.progress.events[events_seen:], "samples": samples,
                "cuda": bool(live and live.cuda)}

    def stop(self, why: str) -> None:
        self.progress.ended_by = self.progress.ended_by or why


class Refused(Exception):
    """A job its limits do not admit now: `reason` is "queue" (jobs of its kind on the cluster) or
    "user" (this user's), `limit` the number."""

    def __init__(self, reason: str, limit: int):
        super().__init__(reason, limit)
        self.reason, self.limit = reason, limit


class Job:
    """A long job (app.workers.`name`(progress, *args)) in its own actor, polled by the page: `events`
    (what it reported), `samples` (its memory), `result`, `done`, `waiting` (for the resources it
    asked for). `kind` names the actor ("train/<time>-<id>/<user>"), which is how `running` counts jobs
    across every replica. Past `seconds` it stops itself; past `seconds + GRACE_S` it is killed.

    `queue_limit` and `user_limit` cap the jobs of its kind on the whole cluster and those of its user
    (running or waiting). The cluster's one door (_Door) checks them once the actor exists and before
    it is given work, one start at a time, whichever replica asks: a refused job's actor is ended
    (Refused)."""

    GRACE_S = 60
    POLL_EVERY_S = 0.25  # the page reads several attributes a rerun; one poll serves them

    def __init__(self, name: str, *args, kind: str, user: str, seconds: float, num_gpus: float = 0,
                 resources: dict | None = None, queue_limit: int | None = None,
                 user_limit: int | None = None):
        self.name, self.seconds = name, seconds
        self.events: list[dict] = []
        self.samples: list[dict] = []
        self.cuda = False
        self.result: dict | None = None
        self.ended_by: str | None = None
        self.done = False
        self.waiting = True
        self._generation = _generation
        actor_name = f"{kind}/{_stamp():020d}-{uuid.uuid4().hex}/{user}"
        with _calling():
            self._actor = _JobActor.options(name=actor_name, num_gpus=num_gpus,
                                            resources=resources or {}).remote(seconds)
            try:
                _admit(kind, actor_name, queue_limit, user_limit)
            except (Refused, JobFailed):
                ray.kill(self._actor)
                raise
            self._run = self._actor.run.remote(name, args, {}, _limits())
        self._poll = None
        self._polled = 0.0
        self._started: float | None = None
        self._lock = threading.Lock()

    def sync(self) -> None:
        """Take what the job reported since the last poll (at most every POLL_EVERY_S, never waiting
        for the job: one still waiting for its resources stays `waiting`)."""
        with self._lock:
            if self.done or time.monotonic() - self._polled < self.POLL_EVERY_S:
                return
            self._polled = time.monotonic()
            try:
                with _ray_calls.inside():
                    _check_alive(self._generation)  # a JobFailed: lost below
                    self._take_poll()
                    if ray.wait([self._run], timeout=0)[0]:
                        self._finish()
                    elif self._started and time.monotonic() > self._started + self.seconds + self.GRACE_S:
                        self._end({"error": JobFailed("deadline", "the job did not stop at its time "
                                                                  "limit and was killed").to_dict()}, "time")
            except Exception:
                if self._orphaned(failed=True):
                    return self._lose()
                raise

    def _take_poll(self) -> None:
        if self._poll is None:
            newest = self.samples[-1]["t"] if self.samples else -1
            self._poll = self._actor.poll.remote(len(self.events), newest)
        ready, _ = ray.wait([self._poll], timeout=0.5 if self.waiting else 2.0)
        if not ready:
            return  # the actor is not placed yet (its resources are taken), or busy a moment
        try:
            update = ray.get(self._poll)
        except RayError:
            update = None
        self._poll = None
        if update:
            if self.waiting:
                self.waiting, self._started = False, time.monotonic()
            self.events += update["events"]
            self.samples = (self.samples + update["samples"])[-3600:]
            self.cuda = update["cuda"]

    def _finish(self) -> None:
        try:
            final = ray.get(self._run)
            self._poll = None
            self._take_poll()  # the last events before the end
            self._end(final["result"], final["ended_by"])
        except RayError as exc:
            if self._orphaned(failed=True):
                return self._lose()
            self._end({"error": _failure(exc, JOB_MEMORY_MIB).to_dict()}, None)

    def _orphaned(self, failed: bool = False) -> bool:
        """Whether the engine that ran it has died (asked at once after a call `failed`)."""
        return _died(self._generation, failed)

    def _lose(self) -> None:
        """Its engine died with its actor: nothing to ask or kill (its checkpoint, if any, stays)."""
        self.result, self.done = {"error": JobFailed(
            "lost", "the job engine stopped and this job was lost with it; a training run keeps its "
                    "last completed epoch's checkpoint: continue from it").to_dict()}, True

    def _end(self, result: dict, ended_by: str | None) -> None:
        self.result, self.ended_by, self.done = result, ended_by, True
        ray.kill(self._actor)  # frees its resources and its name at once

    def stop(self, why: str = "stop") -> None:
        """Ask the job to end after its current step; one still waiting for its resources ends now."""
        self.sync()
        with self._lock, contextlib.suppress(JobFailed), _ray_calls.inside():
            if self.done or self._orphaned():
                return
            if self.waiting:
                self._end({"stopped": True}, why)
            else:
                self._actor.stop.remote(why)


def _stamp() -> int:
    """A job's start time in its actor's name (nanoseconds): the names sort the jobs oldest first."""
    return time.time_ns()


def _jobs(kind: str | None = None) -> list[str]:
    """The actor names of the jobs of this kind (of every kind) on the whole cluster, oldest first."""
    with _calling():
        names = [n["name"] if isinstance(n, dict) else n for n in ray.util.list_named_actors()]
    return sorted(name for name in names
                  if name.count("/") >= 2 and (kind is None or name.startswith(f"{kind}/")))


def _user(actor_name: str) -> str:
    return actor_name.split("/", 2)[2]


@ray.remote(num_cpus=0, max_concurrency=1, max_restarts=0)
class _Door:
    """The cluster's one admission of jobs with limits: one decision at a time, each against the jobs
    it admitted before (those still alive). Listing the jobs from each replica instead let two starts at
    one moment both in: a job's name is stamped before it registers, so a later-stamped job that
    registered first saw no earlier one, and the earlier one saw it only as later (two runs for a
    limit of one, under load)."""

    def __init__(self):
        # A door opened again (below) counts the jobs already in. So it opens when its process joins
        # the cluster (connect), before any start: opened by starts at one moment, it counted them all
        # (their actors exist before they ask) and four starts of a limit of one refused each other.
        self._admitted = set(_jobs())

    def admit(self, kind: str, actor_name: str, queue_limit: int | None, user_limit: int | None):
        self._admitted &= set(_jobs())  # an ended job's actor is gone
        before = [name for name in self._admitted if name.startswith(f"{kind}/") and name != actor_name]
        if queue_limit is not None and len(before) >= queue_limit:
            return "queue", queue_limit
        if user_limit is not None and sum(_user(j) == _user(actor_name) for j in before) >= user_limit:
            return "user", user_limit
        self._admitted.add(actor_name)
        return None


_door = None  # this process's handle: Ray ends an actor once no handle to it is left


def _open_door():
    """The cluster's door, opened (or found) when this process joins it, before any job asks. The
    handle is kept: dropped after each start, the door ended and the next start opened a new one,
    which counted every job then alive, those asking at the same moment included."""
    global _door
    if _door is None:
        _door = _Door.options(name="door", get_if_exists=True).remote()
    return _door


def _admit(kind: str, actor_name: str, queue_limit: int | None, user_limit: int | None) -> None:
    """Refused unless the jobs admitted before this one leave room for it under both limits."""
    if queue_limit is None and user_limit is None:
        return
    for attempt in range(2):  # the door goes with the replica that opened it: then another opens one
        door = _open_door()
        try:
            refused = ray.get(door.admit.remote(kind, actor_name, queue_limit, user_limit),
                              timeout=DOOR_SECONDS)
            break
        except (RayActorError, GetTimeoutError) as exc:
            global _door
            _door = None  # its replica went: ask for the door again (found, or opened here)
            if attempt or isinstance(exc, GetTimeoutError):
                raise JobFailed("busy", "the job engine cannot take a job now; try again in a "
                                        "minute") from None
    if refused:
        raise Refused(*refused)


def running(kind: str) -> list[str]:
    """The users (one entry per job) of the jobs of this kind on the whole cluster, waiting or working."""
    return [_user(name) for name in _jobs(kind)]
