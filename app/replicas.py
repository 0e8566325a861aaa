"""Several replicas of the web app on one machine, behind HAProxy, sharing one Ray: one web process
runs every session's script under one interpreter lock, so a class larger than one core's worth of
script runs needs more processes. One command starts the lot and stops it on Ctrl-C:

    .venv/bin/python -m app.replicas --replicas 2 --port 8501     # or: make serve-replicas

1. `ray start --head` on loopback with `replicas × workers` CPUs (each replica's query workers) and the
   `training` resource (how many runs the whole machine trains at once);
2. the replicas (`streamlit run app/server.py` on the ports after `--port`), each pointed at that Ray
   (CNN_EXPLORER_RAY_ADDRESS) with the same cookie secret, so that a session's XSRF cookie signed by
   one verifies on another after a failover; each is up when its health check answers 200;
3. HAProxy (Debian's `haproxy`) on `--port`: round robin over the replicas, with a SERVERID cookie
   that keeps every request of one browser on one replica (a websocket resumes its session only on
   the replica that holds it), redispatch when that replica is down, health checks on
   /_stcore/health (a replica that cannot serve now gets no new visitor).

bench/load.py (`--replicas`) and bench/replicas.py measure this stack; docs/deploy.md explains it.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STREAMLIT_FLAGS = ["--server.headless", "true", "--server.fileWatcherType", "none",
                   "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1"]
HAPROXY = """
global
    maxconn 4000
defaults
    mode http
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    option redispatch
    retries 2
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    cookie SERVERID insert indirect nocache httponly
    option httpchk GET /_stcore/health
{servers}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray() -> str:
    return str(Path(sys.executable).with_name("ray"))


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process (Linux's /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
                found[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1]), command.decode(errors="replace")
    return found


def stop_tree(marker: str, grace_s: float = 10) -> None:
    """End the processes whose command line names `marker`, and their descendants (Ray's workers and
    agents, whose titles do not): SIGTERM, then SIGKILL after `grace_s`. `ray stop` would end every
    Ray on the machine, another server's own included."""
    processes = _processes()
    tree = {pid for pid, (_, command) in processes.items() if marker in command}
    grown = True
    while grown:
        more = {pid for pid, (parent, _) in processes.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while any(Path(f"/proc/{pid}").exists() for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.2)


@contextlib.contextmanager
def ray_head(port: int, cpus: int, training: int):
    """A Ray head on loopback, in a temporary directory of its own (which names its processes, so that
    only they are stopped after); yields (its address, that directory). On loopback only, Ray's token
    authentication is off (every replica would need the head's token)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_AUTH_MODE": "disabled", "RAY_worker_niceness": "0",
           "RAY_enable_worker_prestart": "0"}
    # Short: Ray's unix sockets live under it, and a socket's path has at most 107 bytes.
    temp_dir = tempfile.mkdtemp(prefix="cnnray-", dir="/tmp")
    try:
        subprocess.run([_ray(), "start", "--head", f"--port={port}", f"--num-cpus={cpus}",
                        f'--resources={{"training": {training}}}', "--include-dashboard=false",
                        "--disable-usage-stats", f"--temp-dir={temp_dir}"],
                       env=env, check=True, timeout=120, capture_output=True)
        yield f"127.0.0.1:{port}", temp_dir
    finally:
        stop_tree(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


def streamlit_command(script: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(script), *STREAMLIT_FLAGS,
            "--server.port", str(port)]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float, path: str = "/_stcore/health") -> None:
    """Return once `url + path` answers 200 (the health check: the warm-up is done); RuntimeError when
    the server exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as reply:
                if reply.status == 200:
                    return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not start (exit code {proc.poll()})")
        time.sleep(0.2)


def stop(proc: subprocess.Popen, grace_s: float = 10) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def replica(port: int, env: dict, log, timeout: float = 180):
    """One `streamlit run app/server.py` on `port`, up (health 200) when this yields its URL."""
    proc = subprocess.Popen(streamlit_command(ROOT / "app" / "server.py", port), cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, timeout)
        yield url
    finally:
        stop(proc)


@contextlib.contextmanager
def haproxy(port: int, replicas: dict[str, str]):
    """HAProxy on `port` in front of `replicas` ({name: url}); its URL."""
    servers = "\n".join(f"    server {name} {url.removeprefix('http://')} check cookie {name}"
                        for name, url in replicas.items())
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as cfg:
        cfg.write(HAPROXY.format(port=port, servers=servers))
    proc = subprocess.Popen(["haproxy", "-db", "-f", cfg.name], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)  # HAProxy's first health checks
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        os.unlink(cfg.name)


@dataclasses.dataclass
class Stack:
    balancer: str             # the URL a class opens
    replicas: dict[str, str]  # name ("a", "b", ...; the SERVERID cookie's value) -> the replica's URL
    ray_address: str
    ray_dir: str              # Ray's temporary directory: its processes' command lines name it


@contextlib.contextmanager
def stack(replicas: int, port: int, workers: int = 1, training: int = 2, log=subprocess.DEVNULL):
    """Ray, `replicas` web replicas and HAProxy on `port`, yielded as a Stack once all are up. Ray gets
    twice the query workers' CPUs: a worker that died is replaced while the old one's CPU is still
    counted."""
    names = [chr(ord("a") + i) for i in range(replicas)]
    with ray_head(free_port(), 2 * replicas * workers, training) as (address, ray_dir), \
            contextlib.ExitStack() as started:
        env = {**os.environ, "CNN_EXPLORER_RAY_ADDRESS": address, "CNN_EXPLORER_WORKERS": str(workers),
               "RAY_AUTH_MODE": "disabled", "PYTHONUNBUFFERED": "1",
               "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
               or secrets.token_hex(32)}
        urls = {name: started.enter_context(replica(port + 1 + i, env, log)) for i, name in enumerate(names)}
        with haproxy(port, urls) as balancer:
            yield Stack(balancer, urls, address, ray_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8501, help="the balancer's; replicas take the next ones")
    parser.add_argument("--workers", type=int, default=1, help="query workers per replica")
    parser.add_argument("--training", type=int, default=2, help="training runs at once on the machine")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the stack's teardown runs on SIGTERM too
    with stack(args.replicas, args.port, args.workers, args.training, log=None) as served:
        print(f"serving {served.balancer} (replicas {', '.join(served.replicas.values())}); Ctrl-C stops",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
