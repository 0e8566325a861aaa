"""Memory queries and the long jobs a session starts: GPU memory actions and training runs, each an
engine job (app/engine/) in its own worker process, polled by the page."""
from __future__ import annotations

import json
import logging
import os
import time
import weakref
from pathlib import Path

import streamlit as st

from app import engine, settings

from . import checkpoints, session_watch
from .caching import cached, shared
from .checkpoints import session

logger = logging.getLogger(__name__)


@shared(max_entries=1)
def device_info() -> dict:
    """The GPU the workers have: {"cuda": False} without one, else its name and memory."""
    return engine.query("memory.device_info")


@cached(max_entries=128)
def memory_estimate(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
                    optimizer: str) -> dict:
    """Training-step memory estimated on the meta device (nothing allocated)."""
    return engine.query("memory.estimate", model, changes_json, batch, tuple(input_shape), dtype, optimizer)


@cached(max_entries=32)
def epoch_estimate(model: str, changes_json: str, settings_json: str) -> dict:
    """How long one epoch of this run takes on a worker, from a few real steps of it
    (core.train_speed.measure): {"epoch_seconds", "examples_per_second", "precision", ...}."""
    return engine.query("training.measure", model, json.loads(changes_json), json.loads(settings_json))


@cached(max_entries=32)
def memory_cpu(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
               optimizer: str) -> dict:
    """One real training step on a worker's CPU (allocates: keep the batch small)."""
    return engine.query("memory.measure_cpu", model, changes_json, batch, tuple(input_shape), dtype,
                        optimizer)


class _Polled:
    """What the pages read of an engine job (`self._job`), taken from its latest poll."""

    _job: engine.Job

    def _synced(self) -> engine.Job:
        self._job.sync()
        return self._job

    @property
    def done(self) -> bool:
        return self._synced().done

    @property
    def waiting(self) -> bool:
        return self._synced().waiting

    @property
    def memory(self) -> engine.Job:
        """Its memory samples (`samples`, `cuda`) as the live memory view reads them."""
        return self._synced()


class MemoryJob(_Polled):
    """One GPU memory action of a session ("measure", "timeline" or "max_batch") as an engine job with
    the whole GPU to itself (CUDA's peak statistics belong to a whole process and device), sampled live;
    the page polls it. `settings` are the page's inputs it ran with."""

    def __init__(self, action: str, settings: dict, user: str = ""):
        self.action, self.settings = action, settings
        self._job = engine.Job("memory.gpu_action", action, settings, kind="memory", user=user,
                               seconds=engine.QUERY_SECONDS, num_gpus=1 if engine.has_gpu() else 0)

    @property
    def result(self) -> dict | None:
        return self._synced().result


# What one training run may take, and how many may queue on the whole cluster: a run nobody watches
# (no browser on its session for session_watch.UNWATCHED_S, or its session's state freed) stops, and
# so does one past its time budget, keeping its last completed epoch's checkpoint. How many run at
# once is the cluster's `training` resource (app/engine/cluster.py's LOCAL_TRAINING_SLOTS).
TRAIN_SECONDS = settings.value("CNN_EXPLORER_TRAIN_SECONDS")
MAX_QUEUED_TRAINING = settings.value("CNN_EXPLORER_TRAIN_QUEUE")         # running and waiting, all users
MAX_TRAINING_PER_USER = settings.value("CNN_EXPLORER_TRAIN_PER_USER")    # running and waiting, one user
TRAIN_GPU_SHARE = 0.5  # two runs share a GPU; a memory job (num_gpus=1) waits for it whole


TrainingRefused = engine.Refused  # a run the limits do not allow now: `reason` "queue" or "user"


class TrainingRun(_Polled):
    """One session's training run, an engine job the page polls: `batches` ({"epoch", "step",
    "steps", "loss"} every few batches), `epochs` (core's per-epoch records), `done`, `waiting` (for a
    training slot), `error`, `stopped`, `ended_by` ("stop", "session" or "time"). Once its session's
    state (`owner`) is freed, or its session (`session_id`) has had no browser for a while
    (session_watch), the run is told to stop after its current batch."""

    def __init__(self, model: str, changes: dict, settings: dict, out: str, owner=None,
                 user: str = "", seconds: float | None = None, session_id: str | None = None,
                 resume_from: str | None = None):
        self.model, self.changes, self.settings, self.out = model, changes, settings, out
        self.user = user
        self.seconds = TRAIN_SECONDS if seconds is None else seconds
        gpu = TRAIN_GPU_SHARE if engine.has_gpu() and settings.get("device", "auto") != "cpu" else 0
        self._job = engine.Job("training.run", model, changes, settings, out, resume_from,
                               kind="train", user=user,
                               seconds=self.seconds, num_gpus=gpu, resources={"training": 1},
                               queue_limit=MAX_QUEUED_TRAINING, user_limit=MAX_TRAINING_PER_USER)
        if owner is not None:
            # Not at the process's exit: Ray is shutting down then (a call into it crashed the process
            # with SIGSEGV), and the run's actor, owned by this process, ends with it anyway.
            weakref.finalize(owner, self._job.stop, "session").atexit = False
        if session_id is not None:
            session_watch.add_run(session_id, self)

    def check_watched(self, watched: bool) -> None:
        """Stop once its session has had no browser for a while (session_watch); take its news either
        way, so that a run that ended unwatched frees its worker and its training slot."""
        if not watched and not self._job.done:
            logger.info("a training run stops: its session has had no browser")
            self._job.stop("session")
        self._job.sync()

    @property
    def batches(self) -> list[dict]:
        return [e for e in self._synced().events if e["kind"] == "batch"]

    @property
    def precision(self) -> str | None:
        """Why the run computes in the precision it does (e.g. "auto: bf16 autocast, the CPU has
        avx512_bf16"), once it has started."""
        started = [e for e in self._synced().events if e["kind"] == "start"]
        return started[-1]["reason"] if started else None

    @property
    def epochs(self) -> list[dict]:
        return [e for e in self._synced().events if e["kind"] == "epoch"]

    @property
    def ended_by(self) -> str | None:
        return self._synced().ended_by

    @property
    def error(self) -> dict | None:
        """core's or the engine's error ({"field", "message", "code", ...}) when the run failed."""
        return (self._synced().result or {}).get("error")

    @property
    def stopped(self) -> bool:
        job = self._synced()
        return job.done and (job.ended_by is not None or bool((job.result or {}).get("stopped")))

    def stop(self) -> None:
        self._job.stop("stop")

    @property
    def checkpoint(self) -> str | None:
        """The last completed epoch's checkpoint, once one exists."""
        return self.out if Path(self.out).exists() else None


# The datasets a user may train on, by the name the page shows; workers read only these (a free path
# answered with what it found under /etc). The deployer names them in CNN_EXPLORER_DATASETS as
# "name=spec,..." (spec as core takes it: fashion-mnist, digits, fashion-mnist:DIR, cifar10:DIR).
def allowed_datasets() -> dict[str, str]:
    """{name: core's dataset spec}, the first the default: the deployer's list, else the book's
    Fashion-MNIST where its Debian package is installed on the workers (the full 60,000 images; Train
    offers smaller training sets) and the embedded digits."""
    configured = os.environ.get("CNN_EXPLORER_DATASETS", "").strip()
    if configured:
        pairs = [item.partition("=") for item in configured.split(",") if item.strip()]
        return {name.strip(): spec.strip() or name.strip() for name, _, spec in pairs}
    found = {"fashion-mnist": "fashion-mnist"} if checkpoints.fashion_mnist_installed() else {}
    return {**found, "digits": "digits"}


def user_id() -> str:
    """Who this session's user is, for the per-user training limit: the header the deployer's
    authenticating proxy sets (CNN_EXPLORER_USER_HEADER, e.g. X-Auth-Request-User; a client could
    forge any header the proxy does not set), else the client's address."""
    header = os.environ.get("CNN_EXPLORER_USER_HEADER", "")
    return (header and st.context.headers.get(header)) or st.context.ip_address or "local"


def dataset_spec(name: str) -> str:
    """core's spec of a dataset the page names (a name of allowed_datasets(); else the default)."""
    datasets = allowed_datasets()
    return datasets.get(name, next(iter(datasets.values())))


def start_training(model: str, changes: dict, settings: dict, user: str) -> TrainingRun:
    """A run on the dataset the page named (`settings["dataset"]` is a name of allowed_datasets()),
    owned by this session; TrainingRefused past the cluster's queue or this user's limit (counted over
    every replica's runs: the engine's named jobs)."""
    settings = {**settings, "dataset": dataset_spec(settings["dataset"])}
    owner = session()
    out = owner.path / f"trained-{time.time_ns()}.safetensors"
    return TrainingRun(model, changes, settings, str(out), owner=owner, user=user,
                       session_id=owner.session_id)


def continue_training(run: TrainingRun, more_epochs: int, user: str) -> TrainingRun:
    """`run` (this session's, ended) going on for `more_epochs` from its last completed epoch, into
    the same checkpoint, with its optimizer and schedule (core.resume): the schedule is stretched
    over the new total."""
    owner = session()
    done = len(run.epochs)
    settings = {**run.settings, "epochs": done + more_epochs}
    return TrainingRun(run.model, run.changes, settings, run.out, owner=owner, user=user,
                       session_id=owner.session_id, resume_from=run.out)
