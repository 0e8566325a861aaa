"""DistributedDataParallel training under torchrun, two CPU processes with the gloo backend."""
import json
import os
import socket
import subprocess
import sys

from conftest import ROOT

ARGS = ["train", "densenet40_k12", "--set", "block_config=2,2", "--set", "growth_rate=6",
        "--set", "num_init_features=8", "--set", "in_channels=1", "--epochs", "5", "--device", "cpu",
        "--batch-size", "32", "--dataset", "digits"]  # the embedded set: seconds an epoch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(prefix, out):
    env_cmd = [*prefix, *ARGS, "--out", str(out)]
    # Gloo on the loopback interface only: the machine's hostname may not resolve.
    result = subprocess.run(env_cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_torchrun_two_processes_matches_single_process(tmp_path):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                "--master_addr=127.0.0.1", f"--master_port={free_port()}", "-m", "core"]
    ddp = run(torchrun, tmp_path / "ddp.safetensors")
    single = run([sys.executable, "-m", "core"], tmp_path / "one.safetensors")
    assert (tmp_path / "ddp.safetensors").exists()
    # Same data and schedule, per-process batch 32 (global 64 for DDP): the same accuracy within noise.
    assert ddp["test_accuracy"] > 0.8 and single["test_accuracy"] > 0.8
    assert abs(ddp["test_accuracy"] - single["test_accuracy"]) < 0.1
