"""Two app replicas behind HAProxy (Debian's package) with cookie affinity, sharing one Ray cluster
started outside the app, all on loopback; sessions driven at the websocket protocol (bench/protocol.py).

1. app/replicas.py's stack: `ray start --head` with a `training` resource of 2; two `streamlit run`
   replicas pointed at it (CNN_EXPLORER_RAY_ADDRESS, one query worker each); HAProxy inserts a SERVERID
   cookie and sends every request that carries it to the same replica.
2. N sessions through the balancer: each first loads `/` over HTTP (the balancer picks a replica and
   sets the cookie), then opens its websocket with that cookie and steps a slider for a while.
   Affinity: the websockets open on each replica's port equal the sessions whose cookie names it.
3. Training from both replicas: every session from this machine is one user (one client address). Runs are
   started on both replicas until one is refused: the per-user limit (2) counts both replicas' runs,
   and at most `training` (2) runs train at once on the cluster.
4. Replica a is killed (SIGKILL) while every session steps: its sessions' sockets drop and their runs
   end with them; b's sessions go on without an error; a's sessions, together, reload their own URLs
   through the balancer as a browser does (still carrying a's cookie: HAProxy redispatches them) and
   get the same model back from the URL on b. Measured: failed reloads, seconds until all are back.

    .venv/bin/python bench/replicas.py --sessions 20 --seconds 60 --write
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import re
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


from app.replicas import free_port, stack  # noqa: E402
from bench.load import Walk, browser_cookie, open_walk  # noqa: E402
from bench.protocol import ProtocolError, Session, number, press  # noqa: E402
from bench.report import machine, write_section  # noqa: E402

TRAIN_QUERY = "model=densenet40_k12&set=block_config%3D2%2C2%2C2&dataset=digits&epochs=50"


def open_connections(replica: str) -> int:
    """Established TCP connections to this replica's port: the balancer's websockets to it."""
    port = int(replica.rsplit(":", 1)[1])
    return sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
               for c in psutil.net_connections(kind="tcp"))


def kill_replica(url: str) -> None:
    port = url.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        if port in child.cmdline():
            child.kill()


async def steps(session: Session, walk: Walk, seconds: float, errors: list, label: str) -> int:
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        await asyncio.sleep(1.5)
        try:
            run = await session.rerun([number(session.widgets[walk.key], walk.step())])
            if run.exceptions:
                raise ProtocolError(run.exceptions[0][:200])
            done += 1
        except (ProtocolError, TimeoutError, OSError, KeyError) as exc:
            errors.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            return done
    return done


async def come_back(balancer: str, session: Session, walk: Walk, query: str, cookie: str,
                    killed: float) -> tuple[bool, bool, int, float]:
    """A student whose replica died: the next step finds the socket gone, and the browser reloads the
    link (with its cookie, which names the dead replica) once a second until the page loads. (whether
    the socket was lost, whether the page shows the link's model again, reloads that failed, seconds
    from the kill until it showed)."""
    lost = await steps(session, walk, 5, [], "") == 0
    failed = 0
    while True:
        again = Session(balancer, 60, cookie)
        try:
            await again.open(query)
            break
        except (ProtocolError, TimeoutError, OSError):
            failed += 1
            await asyncio.sleep(1)
        finally:
            await again.close()
    seconds = time.perf_counter() - killed
    widget = again.widgets.get(walk.key)
    linked = re.search(r"growth_rate=(\d+)", query)  # absent: the preset's value
    expected = int(linked.group(1)) if linked else Walk.of("densenet121", "growth_rate").value
    shown = widget and (widget.proto.value if widget.proto.HasField("value") else widget.proto.default)
    return lost, shown == expected, failed, seconds


async def scenario(balancer: str, replicas: dict[str, str], sessions: int, seconds: float) -> dict:
    report: dict = {"errors": []}
    walks = [Walk.of("densenet121", "growth_rate") for _ in range(sessions)]
    opened = []
    for i in range(sessions):
        cookie = await browser_cookie(balancer)  # "SERVERID=<replica>", set by the balancer
        name = cookie.removeprefix("SERVERID=")
        session = Session(balancer, 60, cookie)
        await open_walk(session, walks[i])
        opened.append((session, name))
    report["sessions_per_replica"] = {n: sum(name == n for _, name in opened) for n in replicas}
    await asyncio.gather(*(steps(s, w, 10, report["errors"], f"session {i}")
                           for i, ((s, _), w) in enumerate(zip(opened, walks, strict=True))))
    report["counted_per_replica"] = {n: open_connections(url) for n, url in replicas.items()}

    # training from both replicas: one user, limit 2 runs, 2 training slots on the cluster
    trainers, outcomes = [], []
    for name in [*replicas, *replicas]:
        cookie = f"SERVERID={name}"
        trainer = Session(balancer, 60, cookie)
        await trainer.open(TRAIN_QUERY, page="train")
        run = await trainer.rerun([press(trainer.widgets["train.start"])])
        outcomes.append((name, run.errors[0][:60] if run.errors else "started"))
        trainers.append(trainer)
    report["training"] = outcomes

    # kill replica a while every session steps
    victim = next(iter(replicas))
    survivors = [(s, w, i) for i, ((s, n), w) in enumerate(zip(opened, walks, strict=True)) if n != victim]
    lost = [(s, w, i) for i, ((s, n), w) in enumerate(zip(opened, walks, strict=True)) if n == victim]
    queries = {i: s.query for s, _, i in lost}
    stepping = asyncio.gather(*(steps(s, w, seconds, report["errors"], f"session {i} on b")
                                for s, w, i in survivors))
    await asyncio.sleep(3)
    kill_replica(replicas[victim])
    killed = time.perf_counter()
    back = await asyncio.gather(*(come_back(balancer, s, w, queries[i], f"SERVERID={victim}", killed)
                                  for s, w, i in lost))
    report["lost_sockets"] = sum(noticed for noticed, *_ in back)
    report["restored"] = sum(restored for _, restored, _, _ in back)
    report["failed_reloads"] = sum(failed for *_, failed, _ in back)
    report["back_after_s"] = max((seconds for *_, seconds in back), default=0.0)
    report["steps_on_b"] = sum(await stepping)
    for s, *_ in [*survivors, *lost]:
        with contextlib.suppress(Exception):
            await s.close()
    for trainer in trainers:
        with contextlib.suppress(Exception):
            await trainer.close()
    return report


def run(sessions: int, seconds: float) -> dict:
    import ray
    with stack(2, free_port(), workers=1, training=2) as served:
        report = asyncio.run(scenario(served.balancer, served.replicas, sessions, seconds))
        os.environ["RAY_AUTH_MODE"] = "disabled"  # the loopback head's (app/replicas.py)
        ray.init(address=served.ray_address, namespace="cnn-explorer", logging_level="ERROR")
        report["train_jobs_after"] = sorted(n.split("/", 2)[2] for n in ray.util.list_named_actors()
                                            if n.startswith("train/"))
        report["training_free_after"] = ray.available_resources().get("training", 0)
        ray.shutdown()
    return report


def section(report: dict, sessions: int, command: str) -> str:
    lines = [f"{datetime.date.today()} · {machine()} · one `ray start --head` (4 logical CPUs, "
             "`training` 2), two `streamlit run` replicas pointed at it, HAProxy 2.6 (Debian) with "
             "cookie affinity in front, all on 127.0.0.1; sessions at the websocket protocol. "
             + " ".join(__doc__.split("\n\n")[1].split()), "",
             f"- {sessions} sessions through the balancer: {report['sessions_per_replica']} by cookie; the "
             f"websockets open on each replica's port: {report['counted_per_replica']}.",
             f"- Training, one user starting runs on a, b, a, b: {report['training']}.",
             f"- Replica a killed: {report['lost_sockets']} of its {report['sessions_per_replica']['a']} "
             f"sessions lost their socket; b's sessions made {report['steps_on_b']} steps meanwhile with "
             f"{len(report['errors'])} errors; {report['restored']} of a's sessions got their model back "
             f"from their URL on b, reloading at once with their cookie (which names a): "
             f"{report['failed_reloads']} reloads failed, every session back "
             f"{report['back_after_s']:.1f} s after the kill.",
             f"- After: training runs left on the cluster (their users): {report['train_jobs_after']}; "
             f"free training slots {report['training_free_after']:g} (a's runs ended with it).",
             "", f"Reproduce: `{command}`"]
    if report["errors"]:
        lines[-2:-2] = ["", "Errors on b:", *(f"- {e}" for e in report["errors"][:5])]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    report = run(args.sessions, args.seconds)
    text = section(report, args.sessions, "python bench/replicas.py " + " ".join(
        a for a in sys.argv[1:] if a != "--write"))
    print(text)
    if args.write:
        write_section("replicas", "## Two replicas behind a load balancer (bench/replicas.py)\n\n" + text)


if __name__ == "__main__":
    main()
