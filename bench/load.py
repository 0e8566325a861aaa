"""Load: N sessions of a classroom against one local server, driven at Streamlit's websocket protocol
from this one process (bench/protocol.py): no browser, as a real class's browsers run on the students'
laptops, not on the server's cores.

Each session opens one of four models on Explore and then, until time is up, after ~2 s of thought
(uniform 1–3 s): steps a hyperparameter (5 in 10 actions), switches the Explore tab (2 in 10), visits
Compare and comes back (1 in 10), the Memory page (1 in 10) or Attributions (1 in 10). One session
in ten first starts a training run on the Train page (digits, 30 epochs) and keeps that tab open
while it works in a second one. Latency: from sending the rerun to its script_finished. Errors: an
exception element, an error box after a step, a run not finished within 60 s, a dropped socket.
Sampled every second: CPU and RSS of the web process and of the engine (Ray's processes: its workers
and the training runs), and the CPU of the driver (this process, standing in for the class's
browsers, which on a real server run elsewhere).

    .venv/bin/python bench/load.py --sessions 30 --seconds 300          # prints; --write: benchmarks.md
    .venv/bin/python bench/load.py --sessions 10 30 60 100 --seconds 120 --write

The attacker mix (`--attackers 6`) adds that many tabs of one client, each opening Compare links of
four very deep models, numbers varied so that nothing is cached, one after another: the honest
sessions' latencies show whether one student can make the class wait (app/fair_share.py).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import math
import random
import statistics
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import streamlit_server  # noqa: E402

import core  # noqa: E402
from app.replicas import free_port, stack  # noqa: E402
from bench.protocol import ProtocolError, Session, number, press, text  # noqa: E402
from bench.report import machine, write_section  # noqa: E402

# (preset, field): the models the sessions walk; DenseNet and ResNet, large and small.
WALKS = [("densenet121", "growth_rate"), ("resnet50", "in_channels"),
         ("densenet_bc100_k12", "growth_rate"), ("d2l_resnet18", "in_channels")]
TABS = ("Graph", "Channels", "Layers")
INTERACTIVE = ("step", "tab", "page")
KINDS = (*INTERACTIVE, "memory", "attributions", "train")
WEIGHTS = {"step": 5, "tab": 2, "page": 1, "memory": 1, "attributions": 1}
TRAINING_SHARE = 10  # one session in ten starts a training run
# An attacking tab's Compare link: four models, each with six dense blocks (--attack-block layers each).
ATTACK_MODELS = ("densenet121", "densenet169", "densenet201", "densenet161")
ACTION_TIMEOUT_S = 60


@dataclass
class Walk:
    """One session's model and the field it steps, within the field's bounds."""
    preset: str
    field: str
    value: int
    low: int
    high: int

    @classmethod
    def of(cls, preset: str, field_name: str) -> Walk:
        config = core.get_config(preset)
        spec = next(s for s in type(config).fields() if s.name == field_name)
        return cls(preset, field_name, int(getattr(config, field_name)), int(spec.low), int(spec.high))

    @property
    def key(self) -> str:
        return f"cfg.{core.get_config(self.preset).family}.{self.field}"

    def step(self) -> int:
        up = self.value < self.high and (self.value == self.low or random.random() < 0.5)
        self.value += 1 if up else -1
        return self.value


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    attack_latencies: list[float] = field(default_factory=list)  # the attackers' own, not the class's
    attack_errors: list[str] = field(default_factory=list)
    first_loads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)  # {"t", "web_rss", "engine_rss", "web_cpu", ...}
    started: float = 0.0


async def act(session: Session, walk: Walk, kind: str) -> list:
    """One action of `kind`; the runs it took (a visit to another page and back is two)."""
    if kind == "step":
        return [await session.rerun([number(session.widgets[walk.key], walk.step())])]
    if kind == "tab":
        return [await session.rerun([text(session.widgets["explore.tab"], random.choice(TABS))])]
    page = {"page": "compare", "memory": "memory", "attributions": "attributions"}[kind]
    return [await session.rerun(page=page), await session.rerun(page="")]  # "": Explore, the default


async def open_walk(session: Session, walk: Walk) -> None:
    """Open the walk's model; the walk starts at the value its widget shows. (The widgets' values come
    from the page's state, so their protos carry a `value`; `default` is the widget's own, 0 for a
    number box: walks that started there stepped below the field's bounds, to an error page.)"""
    await session.open(f"model={walk.preset}")
    proto = session.widgets[walk.key].proto
    if session.widgets[walk.key].kind == "slider":
        walk.value = int((proto.value or proto.default)[0])
    else:
        walk.value = int(proto.value if proto.HasField("value") else proto.default)


async def browser_cookie(base: str) -> str:
    """The cookie a browser carries after loading `base`'s page: behind the balancer, the SERVERID that
    keeps its requests on one replica ("" from a single server)."""
    def load():
        with urllib.request.urlopen(base + "/", timeout=ACTION_TIMEOUT_S) as reply:
            return reply.headers.get("Set-Cookie", "").split(";", 1)[0]
    return await asyncio.to_thread(load)


async def start_training(base: str, results: Results) -> Session:
    """A Train tab that starts a run and stays open (its session owns the run)."""
    trainer = Session(base, ACTION_TIMEOUT_S, await browser_cookie(base))
    await trainer.open("model=densenet40_k12&set=block_config%3D2%2C2%2C2&dataset=digits&epochs=30",
                       page="train")
    run = await trainer.rerun([press(trainer.widgets["train.start"])])
    results.latencies["train"].append(run.seconds)
    return trainer


async def student(base: str, number_: int, deadline: float, results: Results) -> None:
    walk = Walk.of(*WALKS[number_ % len(WALKS)])
    trainer = None
    try:
        cookie = await browser_cookie(base)
        session = Session(base, ACTION_TIMEOUT_S, cookie)
        if number_ % TRAINING_SHARE == 0:
            trainer = await start_training(base, results)
        started = time.perf_counter()
        await open_walk(session, walk)
        results.first_loads.append(time.perf_counter() - started)
    except (ProtocolError, TimeoutError, OSError, KeyError) as exc:
        results.errors.append(f"session {number_} first load: {type(exc).__name__}: {str(exc)[:200]}")
        return
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    while time.perf_counter() < deadline:
        await asyncio.sleep(random.uniform(1, 3))
        kind = random.choices(kinds, weights)[0]
        try:
            for run in await act(session, walk, kind):
                if run.exceptions:
                    raise ProtocolError(f"the page shows an exception: {run.exceptions[0][:200]}")
                if kind == "step" and run.errors:  # a value within the field's bounds is never refused
                    raise ProtocolError(f"a step was refused: {run.errors[0][:200]}")
                results.latencies[kind].append(run.seconds)
            if walk.key not in session.widgets:  # back on Explore without the walk's model: reopen it
                await session.close()
                session = Session(base, ACTION_TIMEOUT_S, cookie)
                await open_walk(session, walk)
        except (ProtocolError, TimeoutError, OSError, KeyError) as exc:  # a finding: count it, reopen, go on
            results.errors.append(f"session {number_} {kind}: {type(exc).__name__}: {str(exc)[:300]}")
            await session.close()
            session = Session(base, ACTION_TIMEOUT_S, cookie)
            try:
                await open_walk(session, walk)
            except Exception as reload_exc:
                results.errors.append(f"session {number_} reopen: {type(reload_exc).__name__}")
                return
    await session.close()
    if trainer:
        await trainer.close()


async def attacker(base: str, number_: int, deadline: float, results: Results, per_block: int) -> None:
    """One tab opening unique heavy Compare links until time is up; its latencies kept apart."""
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        parts = [f"m{i}={name}&set{i}=block_config%3D" + "%2C".join([str(per_block)] * 6)
                 + f"%3Bgrowth_rate%3D{8 + (number_ * 997 + n * 31 + i) % 48}"
                 for i, name in enumerate(ATTACK_MODELS, start=1)]
        session = Session(base, 300)
        try:
            run = await session.open("n=4&" + "&".join(parts), page="compare")
            results.attack_latencies.append(run.seconds)
        except (ProtocolError, TimeoutError, OSError) as exc:
            results.attack_errors.append(f"attacker {number_}: {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            await session.close()


class Processes:
    """The server's processes, split as the figures are: the web side (the replicas, and HAProxy in
    front of them) and the engine (Ray's processes: its workers and the training runs)."""

    def __init__(self, web: list[psutil.Process], engine_of_web: bool):
        self.web, self._engine_of_web = web, engine_of_web

    def engine(self) -> list[psutil.Process]:
        if self._engine_of_web:  # a single server's own local Ray: its children
            return [c for w in self.web for c in w.children(recursive=True)]
        # a Ray started apart (`ray start`): every process of it on this machine
        return [p for p in psutil.process_iter(["name", "cmdline"])
                if "ray" in (p.info["name"] or "") or any("ray/" in a or a.startswith("ray::")
                                                          for a in p.info["cmdline"] or [])]


async def sample(processes: Processes, results: Results, stop: asyncio.Event) -> None:
    """CPU (cores busy, from CPU-time deltas) and RSS of the web processes and of the engine's processes."""
    def cpu_seconds(procs):
        total = 0.0
        for p in procs:
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def rss(procs):
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total
    web, driver = processes.web, [psutil.Process()]  # driver: this process, the class's browsers
    last = (time.perf_counter(), cpu_seconds(web), cpu_seconds(processes.engine()), cpu_seconds(driver))
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except TimeoutError:
            pass
        now, engine = time.perf_counter(), processes.engine()
        web_cpu, engine_cpu, driver_cpu = cpu_seconds(web), cpu_seconds(engine), cpu_seconds(driver)
        elapsed = now - last[0]
        results.samples.append({"t": now, "web_rss": rss(web), "engine_rss": rss(engine),
                                "web_cpu": (web_cpu - last[1]) / elapsed,
                                "engine_cpu": max(0.0, engine_cpu - last[2]) / elapsed,
                                "driver_cpu": (driver_cpu - last[3]) / elapsed})
        last = (now, web_cpu, engine_cpu, driver_cpu)


def server_process(base: str) -> psutil.Process:
    """The child process (`streamlit run`, HAProxy) serving on this URL's port."""
    port = base.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        if port in child.cmdline():
            return child
    raise RuntimeError(f"no server process on port {port}")


@contextlib.contextmanager
def served(replicas: int):
    """(the URL the class opens, its Processes): one `streamlit run` with its local Ray, warmed up
    before its health check answers; or `replicas` of them behind HAProxy sharing one Ray
    (app/replicas.py)."""
    if not replicas:
        with streamlit_server(ROOT / "app" / "server.py") as base:
            yield base, Processes([server_process(base)], engine_of_web=True)
        return
    with stack(replicas, free_port()) as running:
        web = [server_process(url) for url in running.replicas.values()]
        balancer = next(c for c in psutil.Process().children() if c.name() == "haproxy")
        yield running.balancer, Processes([*web, balancer], engine_of_web=False)


async def run_load(sessions: int, seconds: float, attackers: int = 0, per_block: int = 128,
                   replicas: int = 0) -> Results:
    """A fresh server (or `replicas` behind a balancer), then `sessions` sessions for `seconds` seconds,
    started over the first few seconds as a class opens the link, beside `attackers` heavy Compare
    tabs (DenseNets of six blocks of `per_block` layers)."""
    results = Results()
    with served(replicas) as (base, processes):
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(processes, results, stop))
        results.started = time.perf_counter()
        deadline = results.started + seconds

        async def later(i):
            await asyncio.sleep(random.uniform(0, min(5.0, seconds / 4)))
            await student(base, i, deadline, results)
        await asyncio.gather(*(later(i) for i in range(sessions)),
                             *(attacker(base, i, deadline, results, per_block) for i in range(attackers)))
        stop.set()
        await sampler
    return results


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarize(sessions: int, seconds: float, results: Results) -> dict:
    """Percentiles per action kind; memory after the warm-up (a quarter of the run, at least the
    first loads) and at the end; CPU averaged over the run."""
    interactive = [v for k in INTERACTIVE for v in results.latencies[k]]
    t0 = results.started
    over_time = [{**s, "t": s["t"] - t0} for s in results.samples]
    warm_at = seconds / 4
    warm = next((s for s in over_time if s["t"] >= warm_at), over_time[-1] if over_time else None)
    end = over_time[-1] if over_time else None

    def total(s):
        return s["web_rss"] + s["engine_rss"] if s else 0
    return dict(sessions=sessions, seconds=seconds, errors=len(results.errors),
                actions=sum(len(v) for v in results.latencies.values()),
                interactive_p50=percentile(interactive, 50), interactive_p95=percentile(interactive, 95),
                kinds={k: (len(v), percentile(v, 50), percentile(v, 95))
                       for k, v in results.latencies.items()},
                attack=(len(results.attack_latencies), percentile(results.attack_latencies, 50),
                        percentile(results.attack_latencies, 95), len(results.attack_errors)),
                first_load_p50=percentile(results.first_loads, 50),
                web_rss_warm=warm["web_rss"] if warm else 0, web_rss_end=end["web_rss"] if end else 0,
                total_rss_warm=total(warm), total_rss_end=total(end),
                web_growth=(end["web_rss"] - warm["web_rss"]) / warm["web_rss"] if warm else math.nan,
                total_growth=(total(end) - total(warm)) / total(warm) if warm else math.nan,
                web_cpu=statistics.fmean(s["web_cpu"] for s in over_time) if over_time else 0,
                engine_cpu=statistics.fmean(s["engine_cpu"] for s in over_time) if over_time else 0,
                driver_cpu=statistics.fmean(s["driver_cpu"] for s in over_time) if over_time else 0,
                first_errors=results.errors[:3],
                over_time=over_time[:: max(1, len(over_time) // 10)])


MB = 2**20
HEADER = ("| sessions | seconds | actions | errors | interactive p50 / p95 (s) | step p95 | tab p95 "
          "| page p95 | memory p95 | attributions p95 | training start p95 | first load p50 (s) "
          "| web RSS after warm-up → end (MB) | web + engine RSS after warm-up → end (MB) "
          "| web CPU (cores) | engine CPU (cores) | driver CPU (cores) |")


def seconds_text(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}"  # no action of this kind finished in the run


def row(s: dict) -> str:
    p95 = {k: seconds_text(s["kinds"][k][2]) for k in KINDS}
    return (f"| {s['sessions']} | {s['seconds']:.0f} | {s['actions']} | {s['errors']} | "
            f"{seconds_text(s['interactive_p50'])} / {seconds_text(s['interactive_p95'])} | {p95['step']} | "
            f"{p95['tab']} | {p95['page']} | {p95['memory']} | {p95['attributions']} | {p95['train']} | "
            f"{seconds_text(s['first_load_p50'])} | "
            f"{s['web_rss_warm'] / MB:.0f} → {s['web_rss_end'] / MB:.0f} ({s['web_growth']:+.1%}) | "
            f"{s['total_rss_warm'] / MB:.0f} → {s['total_rss_end'] / MB:.0f} ({s['total_growth']:+.1%}) | "
            f"{s['web_cpu']:.2f} | {s['engine_cpu']:.2f} | {s['driver_cpu']:.2f} |")


def section(summaries: list[dict], command: str, replicas: int = 0) -> str:
    passing = next((s["sessions"] for s in summaries if s["interactive_p95"] > 1.0), None)
    server = (f"{replicas} `streamlit run` replicas behind HAProxy sharing one `ray start --head` "
              "(app/replicas.py: round robin with cookie affinity; the web figures add up the replicas "
              "and HAProxy, the engine's Ray's processes)" if replicas else
              "one `streamlit run` on 127.0.0.1 with its local Ray (app/engine/)")
    lines = [f"{datetime.date.today()} · {machine()} · {server}; the sessions are driven at Streamlit's "
             "websocket protocol from one Python process (bench/protocol.py), no browser; that process "
             "shares the server's cores. "
             + " ".join(__doc__.split("\n\n")[1].split()),
             "", HEADER, "|" + "---|" * (HEADER.count("|") - 1),
             *(row(s) for s in summaries), "",
             f"**Interactive p95 passes 1 s at {passing} sessions.**" if passing else
             "**Interactive p95 stayed at or under 1 s in every run.**", "",
             "Memory and CPU over time (s: web RSS MB, engine RSS MB, web CPU, engine CPU):", ""]
    for s in summaries:
        points = ", ".join(f"{x['t']:.0f}: {x['web_rss'] / MB:.0f}/{x['engine_rss'] / MB:.0f}/"
                           f"{x['web_cpu']:.2f}/{x['engine_cpu']:.2f}" for x in s["over_time"])
        lines.append(f"- {s['sessions']} sessions: {points}")
    errors = [(s["sessions"], e) for s in summaries for e in s["first_errors"]]
    if errors:
        lines += ["", "First errors:", "", *(f"- {n} sessions: {e}" for n, e in errors)]
    lines += ["", f"Reproduce: `{command}`"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[30])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    parser.add_argument("--section", default="load", help="the section's key in docs/benchmarks.md")
    parser.add_argument("--attackers", type=int, default=0,
                        help="tabs of one client opening heavy Compare links meanwhile")
    parser.add_argument("--attack-block", type=int, default=128,
                        help="layers in each of the attacking DenseNets' six blocks (128: 768 in all, "
                             "past the server's CNN_EXPLORER_QUERY_DEPTH; 42: 252, the deepest it analyses)")
    parser.add_argument("--replicas", type=int, default=0,
                        help="serve from this many replicas behind HAProxy sharing one Ray "
                             "(app/replicas.py); 0: one `streamlit run` with its local Ray")
    args = parser.parse_args()
    summaries = []
    for sessions in args.sessions:
        results = asyncio.run(run_load(sessions, args.seconds, args.attackers, args.attack_block,
                                       args.replicas))
        summary = summarize(sessions, args.seconds, results)
        print(row(summary), flush=True)
        if args.attackers:
            count, p50, p95, failed = summary["attack"]
            print(f"  attackers: {args.attackers} tabs, {count} heavy Compare pages, p50 {p50:.1f} s, "
                  f"p95 {p95:.1f} s, {failed} failed", flush=True)
        for error in summary["first_errors"]:
            print("  ", error)
        summaries.append(summary)
    command = "python bench/load.py " + " ".join(sys.argv[1:])
    text_ = section(summaries, command.replace(" --write", ""), args.replicas)
    print(text_)
    if args.write:
        title = {"load": "Load at the protocol level", "load-capacity": "Load at the protocol level: fewer "
                 "sessions"}.get(args.section, f"Load at the protocol level: {args.replicas} replicas")
        write_section(args.section, f"## {title} (bench/load.py)\n\n" + text_)


if __name__ == "__main__":
    main()
