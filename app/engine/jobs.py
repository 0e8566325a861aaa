"""Jobs: a training run or a GPU memory action, one Ray actor each that the page polls for progress.
Training takes a unit of the cluster's `training` resource, so the runs of every replica together never
exceed what the cluster defines; GPU work asks for `num_gpus`."""
from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid

import ray
from ray.exceptions import RayError

from . import admission, cluster, memory_cap
from .failures import JobFailed, failure

logger = logging.getLogger(__name__)


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
        with memory_cap.MemoryCap(**limits):
            try:
                result = memory_cap.worker_function(name)(self.progress, *args, **kwargs)
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


class Job:
    """A long job (app.workers.`name`(progress, *args)) in its own actor, polled by the page: `events`
    (what it reported), `samples` (its memory), `result`, `done`, `waiting` (for the resources it
    asked for). `kind` names the actor ("train/<time>-<id>/<user>"), which is how `running` counts jobs
    across every replica. Past `seconds` it stops itself; past `seconds + GRACE_S` it is killed.

    `queue_limit` and `user_limit` cap the jobs of its kind on the whole cluster and those of its user
    (running or waiting). The cluster's one door (app/engine/admission.py) checks them once the actor
    exists and before it is given work, one start at a time, whichever replica asks: a refused job's
    actor is ended (Refused)."""

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
        self._generation = cluster.generation()
        actor_name = f"{kind}/{admission.stamp():020d}-{uuid.uuid4().hex}/{user}"
        with cluster.calling():
            self._actor = _JobActor.options(name=actor_name, num_gpus=num_gpus,
                                            resources=resources or {}).remote(seconds)
            try:
                admission.admit(kind, actor_name, queue_limit, user_limit)
            except (admission.Refused, JobFailed):
                ray.kill(self._actor)
                raise
            self._run = self._actor.run.remote(name, args, {}, memory_cap.limits())
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
                with cluster.ray_calls.inside():
                    cluster.check_alive(self._generation)  # a JobFailed: lost below
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
            self._end({"error": failure(exc, memory_cap.JOB_MEMORY_MIB).to_dict()}, None)

    def _orphaned(self, failed: bool = False) -> bool:
        """Whether the engine that ran it has died (asked at once after a call `failed`)."""
        return cluster.died(self._generation, failed)

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
        with self._lock, contextlib.suppress(JobFailed), cluster.ray_calls.inside():
            if self.done or self._orphaned():
                return
            if self.waiting:
                self._end({"stopped": True}, why)
            else:
                self._actor.stop.remote(why)
