"""Several replicas behind HAProxy sharing one Ray, from one command (app/replicas.py): a class's
browsers are spread over the replicas and each stays on its own; everything the command started ends
with it, and nothing else (another server's Ray goes on)."""
import asyncio
import shutil
import urllib.request
from pathlib import Path

import pytest

from app.replicas import free_port, stack
from bench.load import Walk, browser_cookie, open_walk
from bench.protocol import Session, number
from core.analysis import analyze

pytestmark = pytest.mark.skipif(not shutil.which("haproxy"), reason="HAProxy is not installed "
                                "(make test installs Debian's haproxy)")


def pids_naming(marker: str) -> set[int]:
    return {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and
            marker.encode() in (p / "cmdline").read_bytes()} if marker else set()


async def a_student_steps(balancer: str) -> tuple[str, str]:
    """(the replica the balancer's cookie names, the parameter count shown after one step)."""
    cookie = await browser_cookie(balancer)
    walk = Walk.of("densenet121", "growth_rate")
    session = Session(balancer, 120, cookie)
    try:
        await open_walk(session, walk)
        run = await session.rerun([number(session.widgets[walk.key], walk.step())])
        assert not run.exceptions, run.exceptions
        shown = run.metrics.get("Parameters") or (await session.rerun()).metrics["Parameters"]
    finally:
        await session.close()
    assert shown == f"{analyze('densenet121', growth_rate=walk.value).trace.total_params:,}"
    return cookie.removeprefix("SERVERID="), shown


def test_one_command_serves_a_class_through_the_balancer_and_stops_what_it_started():
    with stack(2, free_port()) as served:
        assert set(served.replicas) == {"a", "b"} and pids_naming(served.ray_dir)
        with urllib.request.urlopen(served.balancer + "/_stcore/health", timeout=30) as reply:
            assert reply.status == 200
        replicas = [asyncio.run(a_student_steps(served.balancer))[0] for _ in range(4)]
        assert sorted(replicas) == ["a", "a", "b", "b"]  # round robin, one cookie each
        ray_dir, ports = served.ray_dir, [url.rsplit(":", 1)[1] for url in served.replicas.values()]
    assert not pids_naming(ray_dir), "the stack's Ray outlived it"
    for port in ports:
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5)
