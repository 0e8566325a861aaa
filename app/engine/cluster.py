"""The engine's life: Ray joined (CNN_EXPLORER_RAY_ADDRESS) or started on this machine, supervised,
started again when it dies, and whether it can serve now (`ready`, the health check's answer).

What the other parts keep of a cluster (the query workers, the door's handle) they drop and make again
through the hooks: `on_start` runs after every start, `on_lost` when the engine died, `on_restarted`
once it started again, before it serves again.
"""
from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import os
import socket
import threading
import time
from pathlib import Path

import ray

from app import settings

from .failures import JobFailed, restarting

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)

# This process's query workers (each a process with torch, one CPU of the cluster), and the local
# cluster's training runs at once (the `training` resource; a cluster's operator sets its own).
QUERY_WORKERS = settings.value("CNN_EXPLORER_WORKERS")
LOCAL_TRAINING_SLOTS = settings.value("CNN_EXPLORER_TRAINING_SLOTS")
NAMESPACE = "cnn-explorer"
SUPERVISE_S = 1.0  # how often the engine's processes (or a cluster's GCS) are checked
RETRY_S = 5.0  # between tries to start the engine again
DRAIN_S = 30  # how long a restart waits for the calls into the dead engine to give up
_connected = threading.Lock()
_down = threading.Event()  # set from the engine's death until it can serve again
_generation = 0  # the engine's starts in this process: a job of an earlier one is lost
_death = None  # what the supervisor asks: the engine's dead parts, named (None while all live)
_on_start: list = []
_on_lost: list = []
_on_restarted: list = []


def on_start(hook) -> None:
    """Call `hook()` after every start of the engine (the first one too), before connect() returns."""
    _on_start.append(hook)


def on_lost(hook) -> None:
    """Call `hook()` when the engine died (and after a failed try to start it again): drop its actors."""
    _on_lost.append(hook)


def on_restarted(hook) -> None:
    """Call `hook()` once the engine started again, before it serves; an error counts as a failed start."""
    _on_restarted.append(hook)


def generation() -> int:
    """Which start of the engine serves now: a call sent to an earlier one is lost."""
    return _generation


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
                raise restarting()
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


ray_calls = _RayCalls()


@contextlib.contextmanager
def calling():
    """Connected, and counted inside Ray until the block ends; JobFailed("restarting") while down."""
    connect()
    with ray_calls.inside():
        yield


def ready() -> bool:
    """Whether a query can run now: false while the engine is down or starting again."""
    return not _down.is_set()


def connect() -> None:
    """Join the cluster CNN_EXPLORER_RAY_ADDRESS names, else start a local one (once per process),
    supervised from then on. Workers find `app` and `core` on PYTHONPATH: set here for the local one,
    by the image elsewhere."""
    if _down.is_set():
        raise restarting()
    with _connected:
        if _down.is_set():
            raise restarting()
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
    for hook in _on_start:
        hook()


def _join(address: str) -> None:
    """Connect to the cluster at `address` (asked first: Ray's core ends the whole process when it
    cannot reach the cluster's GCS)."""
    if why := _gcs_silent(address):
        raise ConnectionError(why)
    _init(address)


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
    and the restarted hooks (warm workers) serve again; tried every RETRY_S until it does."""
    global _generation
    logger.error("the job engine died (%s): starting it again", why)
    _down.set()
    if not ray_calls.drained(DRAIN_S):
        logger.error("calls to the dead engine did not end in %d s", DRAIN_S)
    with _connected:
        _generation += 1
        for hook in _on_lost:
            hook()
        for attempt in itertools.count(1):
            with contextlib.suppress(Exception):
                ray.shutdown()
            try:
                start()
                for hook in _on_restarted:
                    hook()
                break
            except Exception:
                logger.exception("the job engine did not start (try %d); trying again in %g s", attempt,
                                 RETRY_S)
                for hook in _on_lost:
                    hook()
                time.sleep(RETRY_S)
    _down.clear()
    logger.warning("the job engine serves again")


def died(generation: int, failed: bool = False) -> bool:
    """Whether the engine a call was sent to (its `generation`) has died since; after a call `failed`,
    its processes are asked at once (the supervisor may not have looked yet)."""
    if failed and _death and _death():
        _down.set()  # said at once (the health check too); the supervisor restarts it on its next look
    return _down.is_set() or generation != _generation


def check_alive(generation: int, failed: bool = False) -> None:
    """JobFailed("restarting") when the engine a call was sent to has died since."""
    if died(generation, failed):
        raise restarting()


def has_gpu() -> bool:
    with calling():
        return ray.cluster_resources().get("GPU", 0) > 0
