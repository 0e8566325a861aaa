"""The job engine (Ray): a query past its deadline or its memory cap is stopped, the user is told
why, and the next query is answered as usual; training limits count the runs of every process that
shares the cluster (every replica)."""
import functools
import os
import subprocess
import sys
import textwrap
import threading
import time
import zlib

import pytest
import ray
from app_support import job_process

from app import engine, services


def heavy(batch: int) -> tuple:
    """One real CPU training step of densenet121 at 224²: at batch 2, ~1 s and ~300 MiB here. Each
    test takes its own batch: a result is cached."""
    return "densenet121", "{}", batch, (3, 224, 224), "fp32", "sgd"


def test_a_query_past_its_deadline_is_stopped_with_a_message_and_the_next_is_answered(monkeypatch):
    monkeypatch.setattr(engine.queries, "QUERY_SECONDS", 0.2)
    failed = services.memory_cpu(*heavy(2))
    assert failed["error"]["code"] == "job.deadline"
    assert "longer than the 0.2 s a job may take" in failed["error"]["message"]
    monkeypatch.undo()
    assert services.memory_cpu(*heavy(2))["peak_mib"] > 0  # the failure was not cached


def test_a_query_past_its_memory_cap_ends_its_worker_with_a_message(monkeypatch):
    """Batch 4 (~500 MiB): far past 40 MiB of growth even in a worker that keeps heap from an earlier
    step of this model (with batch 3 the cap was once not reached in a full make test; the cause was not
    replayed: the two tests in one process pass either way)."""
    monkeypatch.setattr(engine.memory_cap, "JOB_MEMORY_MIB", 40)
    failed = services.memory_cpu(*heavy(4))
    assert failed["error"]["code"] == "job.memory"
    assert "past the 40 MiB a job may add" in failed["error"]["message"]
    monkeypatch.undo()
    assert services.memory_cpu(*heavy(4))["peak_mib"] > 40  # a fresh worker answers


def test_an_error_in_worker_code_comes_back_as_a_message():
    with pytest.raises(engine.JobFailed) as failed:
        engine.query("analysis.resolve", "densenet121")  # a missing argument: a TypeError there
    assert failed.value.code == "failed" and "TypeError" in failed.value.message


def test_a_query_goes_to_its_own_worker_while_free_and_around_it_while_busy():
    """One config's queries meet one kept analysis, but never wait behind another session's query."""
    engine.connect()
    workers = engine.queries.QueryWorkers(2)
    args = ("densenet", '{"growth_rate": 32}')
    with workers.pick(args) as (own, _):
        pass
    with workers.pick(args) as (again, _):
        assert again == own  # free again: the same worker, the same cache
        with workers.pick(args) as (around, _):
            assert around != own  # busy: the other worker
            with workers.pick(("resnet", "{}")) as (third, _):
                # both equally busy: its own worker all the same (waiting there, never an error)
                assert third == zlib.crc32(repr(("resnet", "{}")).encode()) % 2


OTHER_REPLICA = """
import sys, time
sys.path.insert(0, {root!r})
import ray
from app import engine
ray.init(address={address!r}, namespace=engine.cluster.NAMESPACE)
job = engine.Job("training.run", "densenet40_k12", {{}}, {{"epochs": 1000, "dataset": "digits"}},
                 {out!r}, kind="train", user="student", seconds=60, resources={{"training": 1}},
                 queue_limit=8, user_limit=2)  # as app.services starts every run: through the door
print("started", flush=True)
sys.stdin.readline()
"""


def test_training_limits_count_the_runs_of_another_replica(monkeypatch, tmp_path):
    """Two app processes on one cluster: a run started by the other counts against the user here."""
    engine.connect()
    script = OTHER_REPLICA.format(root=str(engine.cluster.ROOT),
                                  address=ray.get_runtime_context().gcs_address,
                                  out=str(tmp_path / "other.safetensors"))
    other = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "started"
        assert "student" in engine.running("train")
        monkeypatch.setattr(services.jobs, "MAX_TRAINING_PER_USER", 1)
        with pytest.raises(services.TrainingRefused) as refused:
            services.start_training("densenet40_k12", {}, {"epochs": 1, "dataset": "digits"}, "student")
        assert refused.value.reason == "user"
    finally:
        other.stdin.close()
        other.wait(timeout=30)
    # the other replica is gone: its job went with it (Ray ends the actors a process owned)
    deadline = time.monotonic() + 30
    while "student" in engine.running("train") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "student" not in engine.running("train")


def _start_together(user: str, count: int, out) -> list:
    """`count` training jobs of one user (limit one) started by threads released at one moment: each a
    Job or the reason it was refused."""
    barrier, outcomes = threading.Barrier(count), []

    def start(i: int) -> None:
        barrier.wait()
        try:
            outcomes.append(engine.Job("training.run", "d2l_lenet_bn", {},
                                       {"epochs": 1000, "dataset": "digits"},
                                       str(out / f"{user}-{i}.safetensors"), kind="train", user=user,
                                       seconds=60, resources={"training": 1}, user_limit=1))
        except engine.Refused as refused:
            outcomes.append(refused.reason)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_a_start_stamped_earlier_but_checked_later_is_refused(tmp_path, monkeypatch):
    """What made two runs of a limit of one, under load: a job's name is stamped before it registers,
    so a start stamped later could be checked first (seeing nothing before it), and the one stamped
    earlier, checked next, saw the other only as later and went in as well. Here the later stamp is
    checked first, as that race does it: the start checked second must be refused."""
    now = time.time_ns()
    stamps = iter([now + 10**12, now])  # the first start's stamp is the later one
    monkeypatch.setattr(engine.admission, "stamp", lambda: next(stamps, None) or time.time_ns())
    start = functools.partial(engine.Job, "training.run", "d2l_lenet_bn", {},
                              {"epochs": 1000, "dataset": "digits"}, kind="train", user="stamped",
                              seconds=60, resources={"training": 1}, user_limit=1)
    first = start(str(tmp_path / "first.safetensors"))
    try:
        with pytest.raises(engine.Refused) as refused:
            start(str(tmp_path / "second.safetensors"))
        assert refused.value.reason == "user" and engine.running("train").count("stamped") == 1
    finally:
        first.stop()
        first._end({}, "stop")


def test_training_starts_at_one_moment_admit_exactly_the_limit(tmp_path):
    """Four starts of one user at once (four sessions, or four replicas: each lists the cluster's jobs
    before the others' exist, or after) with a limit of one: one run, three refusals, every time."""
    engine.connect()
    for attempt in range(3):
        outcomes = _start_together(f"racer{attempt}", 4, tmp_path)
        jobs = [o for o in outcomes if isinstance(o, engine.Job)]
        try:
            assert len(jobs) == 1 and outcomes.count("user") == 3, outcomes
            assert engine.running("train").count(f"racer{attempt}") == 1
        finally:
            for job in jobs:
                job.stop()
                job._end({}, "stop")


UNREACHABLE = """
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=60).run()
print(not at.exception, [e.value for e in at.error])
"""


def test_an_unreachable_engine_is_said_on_the_page_and_the_server_lives():
    """Ray's core ends the whole process when ray.init cannot reach the cluster."""
    script = UNREACHABLE.format(app=str(engine.cluster.ROOT / "app" / "streamlit_app.py"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CNN_EXPLORER_RAY_ADDRESS": "127.0.0.1:9"})
    assert done.returncode == 0, done.stderr[-2000:]
    no_exception, errors = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert no_exception == "True" and "cannot be reached" in errors


def test_a_query_whose_worker_died_is_asked_again_of_a_fresh_one():
    """The worker a query goes to died since its last answer (killed, out of memory, its node gone):
    the query is asked once more, of a new worker in its place, and answered."""
    engine.connect()
    args = ("resnet18", "{}")
    assert engine.query("analysis.resolve", *args)["preset"] == "resnet18"
    slot = zlib.crc32(repr(args[:2]).encode()) % len(engine.queries.workers._workers)
    dead = engine.queries.workers._workers[slot]
    ray.kill(dead, no_restart=True)
    assert engine.query("analysis.resolve", *args)["preset"] == "resnet18"
    assert engine.queries.workers._workers[slot] not in (None, dead)


def test_the_door_opens_again_after_the_replica_that_opened_it_died():
    """The cluster's admission door lives with the process that opened it; when that replica dies, the
    next start finds no door, opens one (counting the jobs already in), and is admitted."""
    engine.connect()
    door = engine.admission.open_door()
    ray.kill(door, no_restart=True)  # as when its replica's process ends
    name = f"train/{engine.admission.stamp()}/student"
    engine.admission.admit("train", name, 8, 2)  # no JobFailed("busy"): a new door answered
    assert engine.admission.door is not None and engine.admission.door is not door
    # and it counts this start
    assert ray.get(engine.admission.door.admit.remote("train", name, 8, 2)) is None


def until(condition, seconds: float, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(every)


def test_a_job_that_ignores_stop_past_its_limit_is_killed(monkeypatch, tmp_path):
    """A training run whose worker is frozen (SIGSTOP: as one stuck in a long step, or swapped out) is
    told to stop and cannot; past its time limit and the grace after it, the engine kills its worker:
    the page gets the deadline's message, the process and the actor's name are gone, and its
    training slot is free for the next run."""
    import psutil
    monkeypatch.setattr(engine.Job, "GRACE_S", 1.0)
    settings = dict(dataset="digits", epochs=1000, batch_size=16)
    job = engine.Job("training.run", "d2l_lenet_bn", {}, settings, str(tmp_path / "run.safetensors"), None,
                     kind="train", user="stuck", seconds=15.0, resources={"training": 1})
    until(lambda: job.sync() or job.events or job.done, 120)
    assert not job.done and job.events  # it runs: batches reported
    actor_name = next(n for n in engine.admission.jobs("train") if n.endswith("/stuck"))
    process = job_process()
    process.suspend()
    job.stop("stop")
    started = time.monotonic()
    until(lambda: job.sync() or job.done, 60)
    assert time.monotonic() - started >= 1.0  # not before the grace
    assert job.result["error"]["code"] == "job.deadline" and job.ended_by == "time"
    assert "did not stop at its time limit and was killed" in job.result["error"]["message"]
    until(lambda: not process.is_running() or process.status() == psutil.STATUS_ZOMBIE, 30)
    assert actor_name not in engine.admission.jobs("train")
    again = engine.Job("training.run", "d2l_lenet_bn", {}, dict(settings, epochs=1),
                       str(tmp_path / "next.safetensors"), None, kind="train", user="next", seconds=120,
                       resources={"training": 1})
    until(lambda: job.sync() or again.sync() or again.done, 180)
    assert again.result == {"stopped": False}
