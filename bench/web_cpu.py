"""The web process's CPU time per user action, by kind: what a class's actions cost the one process
that serves every session's script runs (the torch work runs in the engine's processes, not counted).

One fresh server (warmed up), sessions at Streamlit's websocket protocol (bench/protocol.py), actions
one at a time so that each action's CPU is its own: the web process's user + system CPU time (psutil,
in the kernel's 10 ms ticks) read before and after each kind's actions, divided by their number.
Kinds, as bench/load.py's mix: a first visit (a new session opens Explore on a model), a slider
step (each of four sessions walks one hyperparameter of its model by ±1, as load.py's students do:
new values and revisits), a tab switch on Explore, and a page visit (Compare, Memory or Attributions,
then back to Explore: each run apart).

    .venv/bin/python bench/web_cpu.py --actions 60          # prints; --write: docs/benchmarks.md
    .venv/bin/python bench/web_cpu.py --actions 60 --baseline 802948a   # and the app at a commit
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import streamlit_server  # noqa: E402

from bench.load import WALKS, Walk, act, open_walk, server_process  # noqa: E402
from bench.protocol import Session  # noqa: E402
from bench.report import machine, write_section  # noqa: E402

TARGET_MS = 12


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def measure(base: str, web: psutil.Process, actions: int) -> dict[str, tuple[float, float]]:
    """kind -> (web CPU ms per action, wall ms per action)."""
    figures = {}

    async def timed(kind, coroutine_factory, count):
        cpu, wall = cpu_seconds(web), time.perf_counter()
        done = 0
        for i in range(count):
            done += await coroutine_factory(i)
        figures[kind] = ((cpu_seconds(web) - cpu) * 1000 / done, (time.perf_counter() - wall) * 1000 / done)

    walks = [Walk.of(*w) for w in WALKS]
    sessions = [Session(base) for _ in walks]

    async def first_visit(i):
        await open_walk(sessions[i], walks[i])
        return 1
    await timed("first visit", first_visit, len(sessions))

    async def step(i):
        await act(sessions[i % len(sessions)], walks[i % len(sessions)], "step")
        return 1
    await timed("slider step", step, actions)

    async def tab(i):
        await act(sessions[i % len(sessions)], walks[i % len(sessions)], "tab")
        return 1
    await timed("tab switch", tab, actions)

    # A page visit, as load.py's: to another page, then back to Explore; each run apart.
    visits = max(3, actions // 2)
    for page in ("compare", "memory", "attributions"):
        cpu, wall = [0.0, 0.0], [0.0, 0.0]
        for i in range(visits):
            for leg, target in enumerate((page, "")):  # "": Explore, the default page
                started, before = time.perf_counter(), cpu_seconds(web)
                await sessions[i % len(sessions)].rerun(page=target)
                cpu[leg] += cpu_seconds(web) - before
                wall[leg] += time.perf_counter() - started
        for leg, label in enumerate((page.capitalize(), f"back to Explore from {page.capitalize()}")):
            figures[f"page visit: {label}"] = (cpu[leg] * 1000 / visits, wall[leg] * 1000 / visits)
    for session in sessions:
        await session.close()
    return figures


async def run(actions: int, tree: Path = ROOT) -> tuple[dict, float]:
    """The figures of the app in `tree` (this checkout, or a baseline's worktree)."""
    with streamlit_server(tree / "app" / "server.py", cwd=tree) as base:
        web = server_process(base)
        idle_cpu = cpu_seconds(web)
        await asyncio.sleep(5)
        idle = (cpu_seconds(web) - idle_cpu) / 5  # cores busy with no session: subtracted from nothing,
        # printed so that a reader sees how much of the per-action figure could be background work
        return await measure(base, web, actions), idle


@contextlib.contextmanager
def worktree(revision: str):
    """A temporary checkout of `revision`, for a baseline measured in the same run."""
    folder = Path(tempfile.mkdtemp(prefix="web-cpu-baseline-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), revision],
                   check=True, capture_output=True, timeout=120)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)],
                       capture_output=True, timeout=120)


def section(figures: dict, idle: float, actions: int, command: str, baseline: dict | None = None,
            revision: str = "") -> str:
    lines = [f"{datetime.date.today()} · {machine()} · " + " ".join(__doc__.split("\n\n")[1].split()),
             f"{actions} actions of each kind ({max(3, actions // 2)} visits to each page and back); "
             f"the idle server used {idle * 1000:.1f} ms of CPU a second. "
             f"Target: ≤ {TARGET_MS} ms per action."]
    if baseline:
        lines += [f"Baseline in the same run: the app at commit {revision} (a temporary worktree), driven "
                  "by this same script.", "",
                  f"| action | web CPU per action at {revision} (ms) | web CPU per action now (ms) "
                  "| now / then | wall time per action now (ms) |", "|---|---:|---:|---:|---:|",
                  *(f"| {kind} | {baseline[kind][0]:.1f} | {cpu:.1f} | {cpu / baseline[kind][0]:.2f} | "
                    f"{wall:.0f} |" for kind, (cpu, wall) in figures.items())]
    else:
        lines += ["", "| action | web CPU per action (ms) | wall time per action (ms) |", "|---|---:|---:|",
                  *(f"| {kind} | {cpu:.1f} | {wall:.0f} |" for kind, (cpu, wall) in figures.items())]
    return "\n".join([*lines, "", f"Reproduce: `{command}`"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", metavar="REVISION",
                        help="also measure the app at this git revision, in the same run")
    parser.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args()
    baseline = None
    if args.baseline:
        random.seed(args.seed)
        with worktree(args.baseline) as tree:
            baseline, _ = asyncio.run(run(args.actions, tree))
    random.seed(args.seed)
    figures, idle = asyncio.run(run(args.actions))
    command = "python bench/web_cpu.py " + " ".join(a for a in sys.argv[1:] if a != "--write")
    text = section(figures, idle, args.actions, command, baseline, args.baseline or "")
    print(text)
    if args.write:
        write_section("web_cpu", "## Web-process CPU per action (bench/web_cpu.py)\n\n" + text)


if __name__ == "__main__":
    main()
