"""Mutation scores per module from mutmut's last run (`make mutation`), printed and, with --write,
written into docs/benchmarks.md.

mutmut changes one operator, number or name of a module at a time and runs the fast unit tests that
reach it (pyproject.toml [tool.mutmut]); a mutant that no test notices "survived": a rule that nothing
checks. Score = caught / (caught + survived); a mutant stopped past its time limit (it loops) is caught;
one that no test reaches is counted apart.
"""
from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import machine, write_section  # noqa: E402

CAUGHT = ("killed", "timeout")


def module_of(mutant: str) -> str:
    """core.analysis.receptive.x_walk__mutmut_3 -> core/analysis/receptive.py"""
    parts = mutant.split(".")
    names = [p for p in parts if not p.startswith(("x_", "xǁ")) and "__mutmut_" not in p]
    return "/".join(names) + ".py"


def tallies(text: str) -> dict[str, Counter]:
    found: dict[str, Counter] = defaultdict(Counter)
    for line in text.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if "__mutmut_" in name:
            found[module_of(name)][status.strip()] += 1
    return found


def rows(found: dict[str, Counter]) -> list[tuple]:
    out = []
    for module, counts in sorted(found.items()):
        caught = sum(counts[s] for s in CAUGHT)
        tested = caught + counts["survived"]
        out.append((module, tested, caught, counts["survived"], sum(counts.values()) - tested,
                    caught / tested if tested else None))
    return out


def section(table: list[tuple], command: str) -> str:
    lines = [f"{datetime.date.today()} · {machine()} · `{command}` (mutmut 3.8)", "",
             "| module | mutants tested | caught | survived | not reached by the tests, or not run | score |",
             "|---|---|---|---|---|---|"]
    lines += [f"| `{m}` | {t:,} | {c:,} | {s:,} | {n:,} | {'–' if r is None else f'{r:.1%}'} |"
              for m, t, c, s, n, r in table]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args()
    done = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    table = rows(tallies(done.stdout))
    text = section(table, "make mutation")
    print(text)
    if args.write:
        write_section("mutation", "## Mutation testing (`make mutation`)\n\n" + __doc__.split("\n\n")[1]
                      + "\n\n" + text)


if __name__ == "__main__":
    main()
