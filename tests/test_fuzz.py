"""Fuzz (make test-slow): 10,000 random configs per family, drawn from each family's own schema,
through core.get_config + analysis (meta device, nothing allocated), and a sample of them through the
CLI in-process. Zero uncaught exceptions; every rejection is a ConfigError that names a field, and the
CLI says exactly what the API says.

Each passing family writes its tally (examples, seconds, rejections by field) to test-artifacts/fuzz/;
`make fuzz` fuzzes and writes the figures into docs/benchmarks.md (bench/fuzz_report.py).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections import Counter

import pytest
from conftest import ARTIFACTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import names_a_field

import core
from core.analysis import analyze
from core.cli import main as cli_main
from core.cli import parse_input, parse_sets
from core.errors import format_value

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 10_000))  # fewer for a quick local check
CLI_EVERY = 20  # one example in CLI_EVERY also goes through `python -m core summary`
TALLIES = ARTIFACTS / "fuzz"

# Values that a query string, a JSON body or a --set can put in any field.
JUNK = st.sampled_from([None, "", "abc", " ", "1,2", "1e3", "-0", "true", [], [1, 2], {}, -1, 0, 1.5,
                        float("nan"), float("inf"), -float("inf"), 10**30, True, False])
# List entries (block_config, layers, ...) decide how many layers there are: most draws stay small so
# that 70,000 analyses take minutes; the edges (low, high, just outside) still come up.
CHEAP_DEPTH = 4
DEPTH_FIELDS = {"block_config", "layers", "convs_per_block"}


def edges(spec: dict) -> list:
    low, high = spec["low"], spec["high"]
    return [v for v in (low, high, low - 1, high + 1) if v is not None]


@st.composite
def field_value(draw, spec: dict):
    """Mostly a valid value of the field, else an edge or junk: nominally one draw in 30 each, more in
    practice (hypothesis favours the ends of a range), so that about a third of the configs, whose 6
    to 11 fields must all be valid, get past validation to the analysis."""
    roll = draw(st.integers(0, 29))
    if roll == 0:
        return draw(JUNK)
    kind, low, high = spec["kind"], spec["low"], spec["high"]
    if spec["choices"]:
        return draw(st.sampled_from([*spec["choices"], "IMAGENET", "none"])) if roll == 1 \
            else draw(st.sampled_from(spec["choices"]))
    if kind == "bool":
        return draw(st.sampled_from(["yes", "no", 1, 0, 2])) if roll == 1 else draw(st.booleans())
    if kind == "float":
        return draw(st.sampled_from(edges(spec))) if roll == 1 else draw(st.floats(low, high))
    if kind == "int":
        return draw(st.sampled_from(edges(spec))) if roll == 1 else draw(st.integers(low, high))
    entry = st.integers(low, min(high, CHEAP_DEPTH) if spec["name"] in DEPTH_FIELDS else high)
    values = draw(st.lists(entry, min_size=spec["min_len"], max_size=spec["max_len"] or 8))
    if roll == 1 and draw(st.booleans()):  # one entry at an edge
        values[draw(st.integers(0, len(values) - 1))] = draw(st.sampled_from(edges(spec)))
    elif roll == 1:  # one entry too few, or one too many
        too_long = [*values, *[low] * ((spec["max_len"] or 8) + 1 - len(values))]
        values = draw(st.sampled_from([values[: spec["min_len"] - 1], too_long]))
    return values


@st.composite
def config_case(draw, family: str):
    """(overrides for every field, input shape): sometimes an unknown field, sometimes a bad shape."""
    fields = core.get_family(family).config_cls.fields()
    overrides = {s.name: draw(field_value(s.to_dict())) for s in fields}
    if draw(st.integers(0, 49)) == 0:
        overrides[draw(st.sampled_from(["growth", "depth", "layer", "channel", "stride"]))] = 1
    c = overrides["in_channels"] if type(overrides["in_channels"]) is int else 3
    sized = overrides.get("input_size")  # LeNet, AlexNet and VGG are built for their input_size
    side = st.just(sized) if type(sized) is int and draw(st.integers(0, 3)) \
        else st.integers(1, 256) if draw(st.integers(0, 9)) else st.integers(-2, 4096)
    shape = (c if draw(st.integers(0, 19)) else draw(st.integers(-1, 65)), draw(side), draw(side))
    return overrides, shape


def api_outcome(family: str, overrides: dict, shape) -> dict | core.ConfigError:
    """The summary JSON, or the ConfigError that rejected the config or the input."""
    try:
        return analyze(core.get_config(family, **overrides), shape).to_dict()
    except core.ConfigError as exc:
        return exc


def set_pairs(overrides: dict) -> list[str]:
    return [f"{key}={format_value(value)}" for key, value in overrides.items()]


def cli_expected(family: str, overrides: dict, shape) -> dict | core.ConfigError:
    """What `summary` must answer: it checks --input first, then what the API says of the same text."""
    try:
        parse_input(",".join(map(str, shape)))
    except core.ConfigError as exc:
        return exc
    return api_outcome(family, parse_sets(set_pairs(overrides)), shape)


def cli_outcome(family: str, overrides: dict, shape) -> tuple[int, str, str]:
    argv = ["summary", family, f"--input={','.join(map(str, shape))}", "--json"]
    for pair in set_pairs(overrides):
        argv += ["--set", pair]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def fuzz(family: str, tally: Counter, data):
    overrides, shape = data.draw(config_case(family))
    outcome = api_outcome(family, overrides, shape)
    tally["examples"] += 1
    if isinstance(outcome, core.ConfigError):
        assert names_a_field(outcome), f"{outcome.field!r} not named in: {outcome}"
        tally[f"rejected: {outcome.field.removeprefix(family + '.')}"] += 1
    else:
        tally["analysed"] += 1
    if tally["examples"] % CLI_EVERY:
        return
    tally["through the CLI"] += 1
    code, out, err = cli_outcome(family, overrides, shape)
    expected = cli_expected(family, overrides, shape)
    if isinstance(expected, core.ConfigError):
        assert (code, out, err) == (2, "", f"error: {expected}\n")
    else:
        assert code == 0, err
        assert json.loads(out)["total_params"] == expected["total_params"]


@pytest.mark.parametrize("family", core.list_families())
def test_random_configs_are_analysed_or_rejected_naming_a_field(family):
    tally, start = Counter(), time.perf_counter()
    fuzz(family, tally)
    # Written only when every example passed, so bench/fuzz_report.py never reports a failed run.
    TALLIES.mkdir(parents=True, exist_ok=True)
    (TALLIES / f"{family}.json").write_text(json.dumps(
        {"family": family, "seconds": time.perf_counter() - start, "counts": tally}, indent=1))
