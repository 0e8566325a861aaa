"""The start-up warm-up (app/warmup.py) runs every step: a step that raises (a name moved to another
module, say) is logged and skipped by the server, so it must fail here; what it computes lands in the
caches the pages read; CNN_EXPLORER_WARMUP=0 skips it."""
import threading

import pytest

from app import engine, warmup


def test_every_warm_up_step_runs_and_fills_the_pages_caches(caplog, monkeypatch):
    seconds, failed = warmup.warm()
    assert failed == [], [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert set(seconds) == {"engine", *warmup.STEPS}
    # Every step again, with the engine refusing any query: each is answered from the caches.
    monkeypatch.setattr(engine, "query", lambda *a, **k: pytest.fail(f"not cached: {a[0]}"))
    for step in warmup.STEPS.values():
        from app import services
        step(services)


def test_a_failing_step_is_named_and_the_others_still_run(monkeypatch):
    ran = []
    steps = {"first": lambda services: 1 / 0, "second": lambda services: ran.append("second")}
    monkeypatch.setattr(warmup, "STEPS", steps)
    monkeypatch.setattr(engine, "warm", lambda: None)
    seconds, failed = warmup.warm()
    assert failed == ["first"] and ran == ["second"] and set(seconds) == {"engine", "first", "second"}


@pytest.mark.parametrize("setting, warmed", [("0", False), ("1", True), ("", True)])
def test_the_setting_skips_or_runs_it_and_done_is_set_either_way(monkeypatch, setting, warmed):
    monkeypatch.setenv("CNN_EXPLORER_WARMUP", setting)
    calls = []
    monkeypatch.setattr(warmup, "warm", lambda: calls.append(1))
    monkeypatch.setattr(warmup, "_started", threading.Lock())
    monkeypatch.setattr(warmup, "DONE", threading.Event())
    warmup.start_in_background()
    assert warmup.DONE.wait(10)
    assert calls == ([1] if warmed else [])
    warmup.start_in_background()  # once per process
    assert calls == ([1] if warmed else [])
