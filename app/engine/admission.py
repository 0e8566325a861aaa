"""Which jobs may start: the cluster's one door counts the jobs of a kind and of a user against their
limits, one decision at a time, whichever replica asks. A job is a named actor
("<kind>/<stamp>/<user>"), so its name is what every replica counts."""
from __future__ import annotations

import time

import ray
from ray.exceptions import GetTimeoutError, RayActorError

from . import cluster
from .failures import JobFailed

DOOR_SECONDS = 30  # the first admission on a cluster starts the door's process


class Refused(Exception):
    """A job its limits do not admit now: `reason` is "queue" (jobs of its kind on the cluster) or
    "user" (this user's), `limit` the number."""

    def __init__(self, reason: str, limit: int):
        super().__init__(reason, limit)
        self.reason, self.limit = reason, limit


def stamp() -> int:
    """A job's start time in its actor's name (nanoseconds): the names sort the jobs oldest first."""
    return time.time_ns()


def jobs(kind: str | None = None) -> list[str]:
    """The actor names of the jobs of this kind (of every kind) on the whole cluster, oldest first."""
    with cluster.calling():
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
        self._admitted = set(jobs())

    def admit(self, kind: str, actor_name: str, queue_limit: int | None, user_limit: int | None):
        self._admitted &= set(jobs())  # an ended job's actor is gone
        before = [name for name in self._admitted if name.startswith(f"{kind}/") and name != actor_name]
        if queue_limit is not None and len(before) >= queue_limit:
            return "queue", queue_limit
        if user_limit is not None and sum(_user(j) == _user(actor_name) for j in before) >= user_limit:
            return "user", user_limit
        self._admitted.add(actor_name)
        return None


door = None  # this process's handle: Ray ends an actor once no handle to it is left


def open_door():
    """The cluster's door, opened (or found) when this process joins it, before any job asks. The
    handle is kept: dropped after each start, the door ended and the next start opened a new one,
    which counted every job then alive, those asking at the same moment included."""
    global door
    if door is None:
        door = _Door.options(name="door", get_if_exists=True).remote()
    return door


def _forget_door() -> None:
    global door
    door = None


cluster.on_start(lambda: ray.get(open_door().__ray_ready__.remote(), timeout=DOOR_SECONDS))
cluster.on_lost(_forget_door)


def admit(kind: str, actor_name: str, queue_limit: int | None, user_limit: int | None) -> None:
    """Refused unless the jobs admitted before this one leave room for it under both limits."""
    if queue_limit is None and user_limit is None:
        return
    for attempt in range(2):  # the door goes with the replica that opened it: then another opens one
        try:
            refused = ray.get(open_door().admit.remote(kind, actor_name, queue_limit, user_limit),
                              timeout=DOOR_SECONDS)
            break
        except (RayActorError, GetTimeoutError) as exc:
            _forget_door()  # its replica went: ask for the door again (found, or opened here)
            if attempt or isinstance(exc, GetTimeoutError):
                raise JobFailed("busy", "the job engine cannot take a job now; try again in a "
                                        "minute") from None
    if refused:
        raise Refused(*refused)


def running(kind: str) -> list[str]:
    """The users (one entry per job) of the jobs of this kind on the whole cluster, waiting or working."""
    return [_user(name) for name in jobs(kind)]
