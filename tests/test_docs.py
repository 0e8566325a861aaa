"""The docs say what the code does: every `python -m core` command shown in README.md and docs/ runs
and succeeds as written, and every repository file, folder or `make` target a doc names exists."""
import os
import re
import shlex
import subprocess
import sys

import pytest
from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(?:bash|sh)?\n(.*?)```", re.DOTALL)
# A path in the repository as docs write it: under one of its top folders, or a top-level file.
TOPS = ("app", "core", "tests", "bench", "docs", "deploy", "assets", ".ci", ".streamlit")
PATH = re.compile(r"(?<![\w/.:-])((?:" + "|".join(map(re.escape, TOPS)) + r")/[\w./-]*[\w/])")
TOP_FILES = re.compile(r"(?<![\w/.-])(Makefile|Dockerfile|requirements(?:-dev)?\.txt|constraints\.txt)\b")
MAKE = re.compile(r"`make ([a-z][\w-]*)")


def shell_commands(text: str) -> list[str]:
    """The commands of a doc's shell blocks, continuation lines joined, comments dropped."""
    commands = []
    for block in FENCE.findall(text):
        for command in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", command).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def core_commands() -> list[tuple[str, str]]:
    return [(doc.name, c) for doc in DOCS for c in shell_commands(doc.read_text())
            if re.match(r"(\.venv/bin/)?python -m core ", c)]


def test_the_docs_show_core_commands():
    assert len(core_commands()) >= 8


@pytest.mark.parametrize("doc", sorted({doc for doc, _ in core_commands()}))
def test_a_docs_core_commands_run_in_order(doc, tmp_path):
    """Each doc's commands, run as written and in its order (one may resume the checkpoint an earlier
    one wrote: run apart, in parallel workers, the second found nothing to resume), from a folder holding
    the repository's assets (the commands write their files there: g.dot, resnet.py, a checkpoint)."""
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in [c for d, c in core_commands() if d == doc]:
        argv = shlex.split(command)
        redirect = argv.index(">") if ">" in argv else None
        out_file = argv[redirect + 1] if redirect is not None else None
        argv = [sys.executable, *argv[1:redirect]]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{doc}: {command}\n{done.stderr[-2000:]}"
        if out_file:
            (tmp_path / out_file).write_text(done.stdout)
        assert done.stdout.strip() or "--out" in argv, f"{doc}: {command} printed nothing"


def named_paths(text: str) -> set[str]:
    return {p.rstrip(".") for p in PATH.findall(text)} | set(TOP_FILES.findall(text))


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_file_a_doc_names_exists(doc):
    text = doc.read_text()
    missing = sorted(p for p in named_paths(text) if "*" not in p and not (ROOT / p).exists())
    assert not missing, f"{doc.name} names files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_make_target_a_doc_names_exists(doc):
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = set(MAKE.findall(doc.read_text()))
    assert named <= targets, f"{doc.name} names make targets the Makefile lacks: {named - targets}"


def test_the_path_check_finds_a_missing_file():
    assert named_paths("see `core/nowhere.py` and docs/benchmarks.md, and the Makefile.") == {
        "core/nowhere.py", "docs/benchmarks.md", "Makefile"}
