"""Write one benchmark's section of docs/benchmarks.md, leaving the other sections as they are."""
from __future__ import annotations

import pathlib
import platform

import torch

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = "# Benchmarks\n\nFigures measured by the scripts in `bench/`; each section says how.\n"


def machine() -> str:
    import os
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, torch {torch.__version__}")


def write_section(key: str, markdown: str) -> None:
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    text = DOC.read_text() if DOC.exists() else HEADER
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)


def publish(key: str, markdown: str, section_path: str | None = None) -> None:
    """Write the section into docs/benchmarks.md, or into a file of its own (for runs on another
    machine, whose section is merged here afterwards)."""
    if section_path:
        pathlib.Path(section_path).write_text(markdown.rstrip() + "\n")
    else:
        write_section(key, markdown)
