"""Write the fuzz figures (tests/test_fuzz.py's tallies in test-artifacts/fuzz/) into docs/benchmarks.md.

Run through `make fuzz`, which fuzzes first. A family whose run failed leaves no tally, so a table
with every family in it means zero uncaught exceptions and every rejection naming its field.
"""
from __future__ import annotations

import datetime
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import core  # noqa: E402
from bench.report import machine, write_section  # noqa: E402

TALLIES = ROOT / "test-artifacts" / "fuzz"


def load_tallies() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(TALLIES.glob("*.json"))]


def rejections(counts: dict) -> Counter:
    return Counter({k.removeprefix("rejected: "): v for k, v in counts.items() if k.startswith("rejected: ")})


def field_label(family: str, name: str) -> str:
    """A config field or the input shape by name; a name the fuzz made up says so."""
    known = {*core.get_family(family).config_cls.field_names(), "input_shape"}
    return name if name in known else f"unknown field '{name}'"


def markdown(tallies: list[dict]) -> str:
    lines = ["## Fuzz (tests/test_fuzz.py, `make fuzz`)", "",
             f"{datetime.date.today()} · {machine()} · pytest -n 2, hypothesis. Random configs drawn "
             "from each family's schema (in range, at the edges, just outside, wrong types, unknown "
             "fields, bad input shapes) through `core.get_config` + `core.analysis.analyze`; one in 20 "
             "also through `python -m core summary --set ...` (in-process `core.cli.main`), whose "
             "exit code and message must equal the API's verdict.", "",
             "Seconds are wall-clock on a machine shared with other work.", "",
             "| family | examples | analysed | rejected | through the CLI | uncaught | seconds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for t in tallies:
        c = t["counts"]
        lines.append(f"| {t['family']} | {c['examples']:,} | {c.get('analysed', 0):,} | "
                     f"{sum(rejections(c).values()):,} | {c.get('through the CLI', 0):,} | 0 | "
                     f"{t['seconds']:.0f} |")
    total = sum(t["counts"]["examples"] for t in tallies)
    lines += ["", f"{total:,} examples in all, 0 uncaught exceptions; every rejection was a "
                  "`ConfigError` whose message names its field.", "", "Rejections by field:", ""]
    for t in tallies:
        fields = ", ".join(f"{field_label(t['family'], field)} {n}"
                           for field, n in rejections(t["counts"]).most_common())
        lines.append(f"- **{t['family']}**: {fields}")
    return "\n".join(lines)


if __name__ == "__main__":
    tallies = load_tallies()
    if not tallies:
        sys.exit(f"no tallies in {TALLIES}: run `make fuzz` (or the slow tests/test_fuzz.py) first")
    text = markdown(tallies)
    print(text)
    write_section("fuzz", text)
